import { dashboard, panel, prometheus, prometheusLabelVariable } from '../model.ts';

const SERVICES = 'job=~"processor|batch|notifier"';

/** Every processor query is narrowed to the pipelines chosen in $pipeline (All: every one). */
export const pipelineVariable = prometheusLabelVariable('pipeline', 'Pipeline', 'processor_records_total');
export const PIPELINE = 'pipeline=~"$pipeline"';

/** p50 and p99 of a processor histogram, per pipeline. */
const percentiles = (histogram: string) =>
  [0.5, 0.99].map((quantile, index) =>
    prometheus(
      `histogram_quantile(${quantile}, sum by (le, pipeline) (rate(${histogram}_bucket{${PIPELINE}}[$__rate_interval])))`,
      `p${quantile * 100} {{pipeline}}`,
      String.fromCharCode(65 + index),
    ),
  );

export const pipelineHealth = dashboard(
  {
    uid: 'pipeline-health',
    title: 'Pipeline health',
    description:
      'Throughput, lag, latency, dead letters and the health of every Node service; processor panels per pipeline.',
    tags: ['pipeline'],
    variables: [pipelineVariable],
  },
  [
    panel(
      'state-timeline',
      'Services up (scraped by Prometheus)',
      [prometheus(`max by (job) (up{${SERVICES}})`, '{{job}}')],
      {
        width: 24,
        height: 4,
        defaults: {
          thresholds: {
            mode: 'absolute',
            steps: [
              { color: 'red', value: null },
              { color: 'green', value: 1 },
            ],
          },
          color: { mode: 'thresholds' },
        },
      },
    ),
    panel(
      'timeseries',
      'Records/s by pipeline, topic and outcome',
      [
        prometheus(
          `sum by (pipeline, topic, outcome) (rate(processor_records_total{${PIPELINE}}[$__rate_interval]))`,
          '{{pipeline}} {{topic}} {{outcome}}',
        ),
      ],
      { defaults: { unit: 'reqps', min: 0 } },
    ),
    panel(
      'timeseries',
      'Consumer lag per partition',
      [
        prometheus(
          `max by (pipeline, topic, partition) (processor_consumer_lag{${PIPELINE}})`,
          '{{pipeline}} {{topic}}/{{partition}}',
          'A',
        ),
        prometheus(
          'max by (topic, partition) (notifier_consumer_lag)',
          'notifier {{topic}}/{{partition}}',
          'B',
        ),
      ],
      { defaults: { unit: 'short', min: 0 } },
    ),
    panel('timeseries', 'Micro-batch duration', percentiles('processor_batch_duration_seconds'), {
      width: 8,
      defaults: { unit: 's', min: 0 },
    }),
    panel('timeseries', 'Event-to-store latency', percentiles('processor_event_to_store_seconds'), {
      width: 8,
      defaults: { unit: 's', min: 0 },
    }),
    panel(
      'timeseries',
      'Dead letters/s',
      [
        prometheus(
          `sum by (pipeline, topic) (rate(processor_dead_letters_total{${PIPELINE}}[$__rate_interval]))`,
          '{{pipeline}} {{topic}}',
          'A',
        ),
        prometheus('sum(rate(notifier_dead_letters_total[$__rate_interval]))', 'notifier', 'B'),
      ],
      { width: 8, defaults: { unit: 'reqps', min: 0 } },
    ),
    panel(
      'stat',
      'Batch jobs: since last success',
      [prometheus('time() - max by (name) (batch_job_last_success_timestamp_seconds)', '{{name}}')],
      {
        width: 8,
        defaults: {
          unit: 's',
          thresholds: {
            mode: 'absolute',
            steps: [
              { color: 'green', value: null },
              { color: 'orange', value: 180 },
              { color: 'red', value: 300 },
            ],
          },
        },
      },
    ),
    panel(
      'timeseries',
      'Batch jobs: mean duration (5 min)',
      [
        prometheus(
          'sum by (name) (rate(batch_job_duration_seconds_sum[5m])) / sum by (name) (rate(batch_job_duration_seconds_count[5m]))',
          '{{name}}',
        ),
      ],
      { width: 8, defaults: { unit: 's', min: 0 } },
    ),
    panel(
      'timeseries',
      'Sink write errors and pauses',
      [
        prometheus(
          `sum by (pipeline, sink) (rate(processor_write_errors_total{${PIPELINE}}[$__rate_interval]))`,
          'write errors {{pipeline}} {{sink}}',
          'A',
        ),
        prometheus(`max by (pipeline) (processor_paused{${PIPELINE}})`, 'paused {{pipeline}}', 'B'),
        prometheus('max(notifier_retrying)', 'notifier retrying', 'C'),
      ],
      { width: 8, defaults: { unit: 'short', min: 0 } },
    ),
    panel(
      'timeseries',
      'Cassandra rows written/s by table',
      [
        prometheus(
          `sum by (pipeline, table) (rate(processor_rows_written_total{${PIPELINE}}[$__rate_interval]))`,
          '{{pipeline}} {{table}}',
        ),
      ],
      {
        width: 8,
        defaults: { unit: 'wps', min: 0 },
        description:
          'Rows upserted by committed micro-batches: the write load each pipeline puts on Cassandra.',
      },
    ),
    panel(
      'timeseries',
      'Partition claims and fenced commits (5 min)',
      [
        prometheus(
          `sum by (pipeline, topic) (increase(processor_partition_claims_total{${PIPELINE}}[5m]))`,
          'claims {{pipeline}} {{topic}}',
          'A',
        ),
        prometheus(
          `sum by (pipeline, topic) (increase(processor_fenced_commits_total{${PIPELINE}}[5m]))`,
          'fenced {{pipeline}} {{topic}}',
          'B',
        ),
      ],
      { width: 8, defaults: { unit: 'short', min: 0, decimals: 0 } },
    ),
    panel(
      'timeseries',
      'State store entries',
      [prometheus(`sum by (pipeline) (processor_state_entries{${PIPELINE}})`, '{{pipeline}}')],
      {
        width: 8,
        defaults: { unit: 'short', min: 0 },
        description: 'Keys held in the processor state stores (windows, trailing counts), per pipeline.',
      },
    ),
    panel(
      'timeseries',
      'State restore: mean duration (15 min)',
      [
        prometheus(
          `sum by (pipeline) (increase(processor_state_restore_seconds_sum{${PIPELINE}}[15m])) / sum by (pipeline) (increase(processor_state_restore_seconds_count{${PIPELINE}}[15m]))`,
          '{{pipeline}}',
        ),
      ],
      {
        width: 8,
        defaults: { unit: 's', min: 0 },
        description:
          'How long a claimed partition took to rebuild its state before processing resumed (empty without claims).',
      },
    ),
    panel(
      'timeseries',
      'Discord webhook requests/s by status',
      [prometheus('sum by (status) (rate(notifier_webhook_requests_total[$__rate_interval]))', '{{status}}')],
      { width: 8, defaults: { unit: 'reqps', min: 0 } },
    ),
    panel(
      'timeseries',
      'CPU per service',
      [
        prometheus(
          `sum by (job) (rate(process_cpu_seconds_total{${SERVICES}}[$__rate_interval]))`,
          '{{job}}',
        ),
      ],
      { width: 8, defaults: { unit: 'percentunit', min: 0 } },
    ),
    panel(
      'timeseries',
      'Resident memory per service',
      [prometheus(`sum by (job) (process_resident_memory_bytes{${SERVICES}})`, '{{job}}')],
      { width: 8, defaults: { unit: 'bytes', min: 0 } },
    ),
    panel(
      'timeseries',
      'Event-loop lag p99 per service',
      [prometheus(`max by (job) (nodejs_eventloop_lag_p99_seconds{${SERVICES}})`, '{{job}}')],
      { width: 8, defaults: { unit: 's', min: 0 } },
    ),
  ],
);

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { alertingProvisioning } from '../../grafana/alerts.ts';
import {
  SELECT_BUSINESS,
  SURGE_ALERT_RATIO,
  TRAFFIC_DASHBOARD_UID,
} from '../../streams/traffic/dashboard.ts';
import { alertRules, dashboards, provisioningFiles } from '../../grafana/generate.ts';
import {
  LEADERBOARD_PANEL,
  type ApiTarget,
  type Dashboard,
  type Panel,
  type PrometheusTarget,
} from '../../grafana/model.ts';
import { createProcessorMetrics } from '../../processor/metrics.ts';
import { SURGE } from '../../streams/traffic/schema.ts';
import { projectRoot } from '../../services/config.ts';

const PLUGIN_DIR = 'plugins/leaderboard-panel';
const read = (file: string) => fs.readFileSync(path.join(projectRoot, file), 'utf8');
const board = (uid: string): Dashboard => dashboards.find((candidate) => candidate.uid === uid)!;
const promTargets = (panels: Panel[]) =>
  panels.flatMap((panel) =>
    panel.targets
      .filter((target): target is PrometheusTarget => 'expr' in target)
      .map((target) => ({ panel: panel.title, ...target })),
  );
const apiTargets = (panel: Panel) => panel.targets.filter((target): target is ApiTarget => 'url' in target);
/** The metric names an expression reads (identifiers followed by `{`, `[` or `)`, not functions or labels). */
const metricsOf = (expr: string) =>
  [...expr.matchAll(/\b([a-z_][a-z0-9_]*)\s*(?=[{[)])/g)]
    .map((match) => match[1]!)
    .filter((name) =>
      /_(total|seconds|lag|paused|entries|ratio|60s|businesses|bucket|sum|count)$/.test(name),
    );

test('the committed provisioning JSON is exactly what grafana/ generates (npm run dashboards)', () => {
  for (const [file, content] of provisioningFiles()) {
    expect(fs.existsSync(path.join(projectRoot, file)), `${file} missing: run npm run dashboards`).toBe(true);
    expect(read(file), `${file} differs: run npm run dashboards`).toBe(content);
  }
});

describe('the leaderboard panel plugin', () => {
  test('one id everywhere: plugin.json, the dashboards, compose and npm start', () => {
    const pluginJson = JSON.parse(read(`${PLUGIN_DIR}/src/plugin.json`)) as { id: string; type: string };
    expect(pluginJson).toMatchObject({ id: LEADERBOARD_PANEL, type: 'panel' });
    // Grafana's rule for plugin ids: <organisation>-<name>-<type>.
    expect(LEADERBOARD_PANEL).toMatch(/^[a-z0-9]+-[a-z0-9-]+-panel$/);
    const workspace = JSON.parse(read(`${PLUGIN_DIR}/package.json`)) as { name: string };
    expect(workspace.name).toBe(LEADERBOARD_PANEL);
    const compose = read('docker-compose.yml');
    expect(compose).toContain(`GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS: ${LEADERBOARD_PANEL}`);
    expect(compose).toContain(`./${PLUGIN_DIR}/dist:/var/lib/grafana/plugins/${LEADERBOARD_PANEL}:ro`);
    const start = read('services/start.ts');
    expect(start).toContain(`'${PLUGIN_DIR}/dist'`);
    expect(start).toContain(`GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS: '${LEADERBOARD_PANEL}'`);
    for (const file of ['docker-compose.yml', 'services/start.ts', 'Dockerfile']) {
      expect(read(file), file).not.toContain('harmony-leaderboard-panel');
    }
  });

  test('compose runs the Grafana the plugin is built on, and the install keeps its one React', () => {
    const workspace = JSON.parse(read(`${PLUGIN_DIR}/package.json`)) as {
      dependencies: Record<string, string>;
    };
    const grafanaImage = /image: grafana\/grafana:(\S+)/.exec(read('docker-compose.yml'))?.[1];
    expect(grafanaImage).toBe(workspace.dependencies['@grafana/data']);
    expect(workspace.dependencies['@grafana/ui']).toBe(workspace.dependencies['@grafana/data']);
    const root = JSON.parse(read('package.json')) as { overrides?: Record<string, string> };
    expect(root.overrides).toMatchObject({
      react: workspace.dependencies['react'],
      'react-dom': workspace.dependencies['react-dom'],
    });
  });

  test('every leaderboard names only fields its query returns, through the generic options', () => {
    const leaderboards = dashboards.flatMap((candidate) =>
      candidate.panels.filter((panel) => panel.type === LEADERBOARD_PANEL),
    );
    expect(leaderboards.map((panel) => panel.title)).toEqual([
      'Top 10 low-harmony persons',
      'Top 10 by surge',
      'Top 10 hashtags, last 5 minutes',
    ]);
    for (const panel of leaderboards) {
      const columns = apiTargets(panel).flatMap((target) => target.columns.map((column) => column.text));
      const {
        labelField,
        valueField,
        secondaryFields = [],
        seriesField,
      } = panel.options as {
        labelField: string;
        valueField: string;
        secondaryFields?: string[];
        seriesField?: string;
      };
      for (const field of [
        labelField,
        valueField,
        ...secondaryFields,
        ...(seriesField ? [seriesField] : []),
      ]) {
        expect(columns, `${panel.title}: ${field}`).toContain(field);
      }
      expect(Object.keys(panel.options)).not.toContain('nameField');
      expect(Object.keys(panel.options)).not.toContain('scoreField');
    }
  });
});

describe('Web traffic surges', () => {
  const traffic = board(TRAFFIC_DASHBOARD_UID);
  const panel = (type: string) => traffic.panels.find((candidate) => candidate.type === type)!;

  test('a 10 s refresh; the business variable is kept when a link sets it', () => {
    expect(traffic.title).toBe('Web traffic surges');
    expect(traffic.refresh).toBe('10s');
    const [business] = traffic.templating.list;
    expect(traffic.templating.list).toHaveLength(1);
    expect(business).toMatchObject({
      name: 'business',
      includeAll: false,
      refresh: 1,
      allowCustomValue: true,
    });
    expect(business!.query).toMatchObject({ url: '/api/traffic/surges', root_selector: 'surges' });
  });

  test('the map and the ranked list read the same top 10 and link each business to $business', () => {
    const geomap = panel('geomap');
    const list = panel(LEADERBOARD_PANEL);
    for (const view of [geomap, list]) {
      const [target] = apiTargets(view);
      expect(target).toMatchObject({
        url: '/api/traffic/surges',
        root_selector: 'surges',
        url_options: { params: [{ key: 'at', value: '${__to}' }] },
      });
      expect(target!.columns.map((column) => column.text)).toEqual(
        expect.arrayContaining([
          'rank',
          'business_id',
          'name',
          'lat',
          'lon',
          'views_60s',
          'trailing_avg',
          'surge',
        ]),
      );
      expect(view.fieldConfig.defaults.links).toEqual([SELECT_BUSINESS]);
    }
    expect(SELECT_BUSINESS.url).toBe(
      `/d/${TRAFFIC_DASHBOARD_UID}?var-business=\${__data.fields.business_id}&\${__url_time_range}`,
    );
    expect(list.options).toMatchObject({ labelField: 'name', valueField: 'surge', limit: SURGE.topN });
    const [layer] = (
      geomap.options as { layers: { location: object; config: Record<string, { field?: string }> }[] }
    ).layers;
    expect(layer!.location).toEqual({ mode: 'coords', latitude: 'lat', longitude: 'lon' });
    expect(layer!.config['size']!.field).toBe('surge');
    expect(layer!.config['color']!.field).toBe('surge');
  });

  test("the selected business's minutes over the dashboard range", () => {
    const views = traffic.panels.find((candidate) => apiTargets(candidate)[0]?.url.includes('$business'))!;
    expect(views.type).toBe('timeseries');
    expect(apiTargets(views)[0]).toMatchObject({
      url: '/api/traffic/businesses/$business/views',
      root_selector: 'minutes',
      url_options: {
        params: [
          { key: 'from', value: '${__from}' },
          { key: 'to', value: '${__to}' },
        ],
      },
      columns: [
        { selector: 'minute', type: 'timestamp' },
        { selector: 'views', type: 'number' },
        { selector: 'trailing_avg', type: 'number' },
      ],
    });
  });

  test('Prometheus: accepted, late and dead letters of pipeline "traffic", the top surge', () => {
    const stats = traffic.panels.filter((candidate) => candidate.type === 'stat');
    const expressions = Object.fromEntries(
      stats.map((stat) => [stat.title, (stat.targets[0] as PrometheusTarget).expr]),
    );
    expect(expressions['Page views/s accepted']).toContain('pipeline="traffic"');
    expect(expressions['Page views/s accepted']).toContain('outcome="accepted"');
    expect(expressions['Late page views/s']).toContain('outcome="late"');
    expect(expressions['Dead letters/s']).toContain('processor_dead_letters_total{pipeline="traffic"}');
    expect(expressions['Top surge ratio']).toBe('max(traffic_surge_ratio)');
    for (const { panel: title, expr } of promTargets(traffic.panels)) {
      if (expr.includes('processor_')) expect(expr, title).toContain('pipeline="traffic"');
    }
  });
});

describe('processor queries carry the pipeline', () => {
  // Every series the processor serves: its metrics, histograms by their three series.
  const PROCESSOR_METRICS = new Set(
    createProcessorMetrics()
      .registry.getMetricsAsArray()
      .flatMap(({ name, type }) =>
        String(type) === 'histogram' ? ['_bucket', '_sum', '_count'].map((suffix) => name + suffix) : [name],
      ),
  );

  test('pipeline health: a multi-value $pipeline (All: every pipeline) in every processor query and legend', () => {
    const health = board('pipeline-health');
    expect(health.templating.list).toEqual([
      expect.objectContaining({
        name: 'pipeline',
        definition: 'label_values(processor_records_total, pipeline)',
        multi: true,
        includeAll: true,
        allValue: '.*',
      }),
    ]);
    const processor = promTargets(health.panels).filter(({ expr }) => expr.includes('processor_'));
    expect(processor.length).toBeGreaterThanOrEqual(12);
    for (const { panel, expr, legendFormat } of processor) {
      for (const metric of metricsOf(expr).filter((name) => name.startsWith('processor_'))) {
        expect(PROCESSOR_METRICS, `${panel}: ${metric}`).toContain(metric);
      }
      const selectors = [...expr.matchAll(/processor_\w+(\{[^}]*\})?/g)];
      for (const [selector, labels] of selectors) {
        expect(labels ?? '', `${panel}: ${selector}`).toContain('pipeline=~"$pipeline"');
      }
      for (const [, grouping] of expr.matchAll(/by \(([^)]*)\)/g)) {
        expect(
          grouping!.split(',').map((label) => label.trim()),
          `${panel}: ${expr}`,
        ).toContain('pipeline');
      }
      expect(legendFormat, panel).toContain('{{pipeline}}');
    }
  });

  test('harmony overview: processor queries read pipeline "harmony" only', () => {
    const processor = promTargets(board('harmony').panels).filter(({ expr }) => expr.includes('processor_'));
    expect(processor.length).toBeGreaterThan(0);
    for (const { panel, expr } of processor) {
      for (const [selector, labels] of expr.matchAll(/processor_\w+(\{[^}]*\})?/g)) {
        expect(labels ?? '', `${panel}: ${selector}`).toContain('pipeline="harmony"');
      }
    }
  });
});

describe('alert rules', () => {
  test('a business above 5× its trailing average for 2 minutes', () => {
    const rule = alertRules.find((candidate) => candidate.uid === 'traffic-business-surging')!;
    expect(rule).toMatchObject({
      expr: 'max(traffic_surge_sustained_seconds)',
      comparison: 'gt',
      threshold: 119,
      for: '0s',
      noDataState: 'OK',
    });
    expect(SURGE_ALERT_RATIO).toBe(5);
    const provisioned = alertingProvisioning(alertRules).groups[0]!.rules.find(
      (candidate) => candidate.uid === rule.uid,
    )!;
    expect(provisioned.annotations).toMatchObject({ description: expect.stringContaining('at every step') });
  });

  test('rules over processor metrics group by pipeline; every rule has a summary and a runbook', () => {
    const processor = alertRules.filter((rule) => rule.expr.includes('processor_'));
    expect(processor.map((rule) => rule.uid).sort()).toEqual([
      'pipeline-consumer-lag',
      'pipeline-dlq-growing',
    ]);
    for (const rule of processor) {
      expect(rule.expr, rule.uid).toMatch(/by \(pipeline/);
      expect(rule.summary, rule.uid).toContain('{{ $labels.pipeline }}');
    }
    for (const rule of alertingProvisioning(alertRules).groups[0]!.rules) {
      expect(rule.annotations.summary, rule.uid).not.toBe('');
      expect(rule.annotations.runbook, rule.uid).not.toBe('');
    }
  });
});

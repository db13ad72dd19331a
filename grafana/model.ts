/**
 * Typed builders for Grafana's dashboard JSON model and file-provisioned alerting. Small on
 * purpose: the foundation SDK publishes no build for Grafana 12.3, and these few shapes are
 * all the dashboards need.
 */

export const PROMETHEUS = { type: 'prometheus', uid: 'prometheus' } as const;
export const QUERY_API = { type: 'yesoreyeram-infinity-datasource', uid: 'query-api' } as const;
/** The project's panel plugin (plugins/leaderboard-panel): a ranked list for any stream. */
export const LEADERBOARD_PANEL = 'streaming-leaderboard-panel';

export type DatasourceRef = typeof PROMETHEUS | typeof QUERY_API;

export interface PrometheusTarget {
  refId: string;
  datasource: typeof PROMETHEUS;
  expr: string;
  legendFormat: string;
  range: boolean;
  instant: boolean;
  format?: 'heatmap' | 'time_series' | 'table';
}

export interface ApiColumn {
  selector: string;
  text: string;
  type: 'string' | 'number' | 'timestamp';
}

/** A query-API request read by the Infinity datasource. */
export interface ApiTarget {
  refId: string;
  datasource: typeof QUERY_API;
  type: 'json';
  source: 'url';
  parser: 'backend';
  format: 'table';
  url: string;
  url_options: { method: 'GET'; params: { key: string; value: string }[] };
  /** Where the rows are in the response: '' for a top-level array, else the key of the array. */
  root_selector: string;
  columns: ApiColumn[];
}

export type Target = PrometheusTarget | ApiTarget;

export function prometheus(
  expr: string,
  legendFormat = '__auto',
  refId = 'A',
  format?: PrometheusTarget['format'],
): PrometheusTarget {
  return {
    refId,
    datasource: PROMETHEUS,
    expr,
    legendFormat,
    range: true,
    instant: false,
    ...(format && { format }),
  };
}

export function api(
  path: string,
  params: Record<string, string>,
  columns: ApiColumn[],
  refId = 'A',
  rootSelector = '',
): ApiTarget {
  return {
    refId,
    datasource: QUERY_API,
    type: 'json',
    source: 'url',
    parser: 'backend',
    format: 'table',
    url: path,
    url_options: { method: 'GET', params: Object.entries(params).map(([key, value]) => ({ key, value })) },
    root_selector: rootSelector,
    columns,
  };
}

export const column = (selector: string, type: ApiColumn['type'] = 'string', text = selector): ApiColumn => ({
  selector,
  text,
  type,
});

/** Grafana's dashboard range, as the query API takes it. */
export const DASHBOARD_RANGE = { from: '${__from}', to: '${__to}' };

export interface Threshold {
  color: string;
  value: number | null;
}

/**
 * A field config data link. `${__data.fields.<name>}` is the row's value of that field; a
 * link to the same dashboard with `var-<name>=` sets that variable.
 */
export interface DataLink {
  title: string;
  url: string;
  targetBlank?: boolean;
}

export interface FieldDefaults {
  unit?: string;
  decimals?: number;
  min?: number;
  max?: number;
  displayName?: string;
  thresholds?: { mode: 'absolute'; steps: Threshold[] };
  color?: { mode: string; fixedColor?: string };
  links?: DataLink[];
  custom?: Record<string, unknown>;
}

/** Field config for the fields of one name only (Grafana's "fields with name" override). */
export interface FieldOverride {
  matcher: { id: 'byName'; options: string };
  properties: { id: string; value: unknown }[];
}

/** An override setting `properties` (field config keys: unit, decimals, displayName, ...) on one field. */
export function byName(field: string, properties: Record<string, unknown>): FieldOverride {
  return {
    matcher: { id: 'byName', options: field },
    properties: Object.entries(properties).map(([id, value]) => ({ id, value })),
  };
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  description: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: DatasourceRef;
  targets: Target[];
  fieldConfig: { defaults: FieldDefaults; overrides: FieldOverride[] };
  options: Record<string, unknown>;
  transformations?: unknown[];
}

export type PanelSpec = Omit<
  Panel,
  'id' | 'gridPos' | 'datasource' | 'fieldConfig' | 'options' | 'description'
> & {
  description?: string;
  width?: number;
  height?: number;
  defaults?: FieldDefaults;
  overrides?: FieldOverride[];
  options?: Record<string, unknown>;
};

export function panel(
  type: string,
  title: string,
  targets: Target[],
  spec: Partial<PanelSpec> = {},
): PanelSpec {
  return { type, title, targets, ...spec };
}

/** A stat panel of one PromQL number, its last value with a sparkline, 4 rows high. */
export function statPanel(
  title: string,
  expr: string,
  defaults: FieldDefaults,
  description: string,
  width = 6,
): PanelSpec {
  return panel('stat', title, [prometheus(expr, title)], {
    width,
    height: 4,
    defaults,
    description,
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'value',
      graphMode: 'area',
      textMode: 'value',
    },
  });
}

/** One colour whatever the value: a count, not a verdict. */
export const NO_THRESHOLDS: FieldDefaults['thresholds'] = {
  mode: 'absolute',
  steps: [{ color: 'text', value: null }],
};

/** Green at zero, red at anything more: errors, dead letters, late records. */
export const ANY_IS_BAD: FieldDefaults['thresholds'] = {
  mode: 'absolute',
  steps: [
    { color: 'green', value: null },
    { color: 'red', value: 0.001 },
  ],
};

/** A ratio shown as 2.5×. */
export const RATIO = { unit: 'suffix:×', decimals: 1 };

/** A Prometheus variable query as Grafana stores it; qryType 1 is label_values(). */
export interface PrometheusVariableQuery {
  query: string;
  refId: string;
  qryType: number;
}

export interface Variable {
  name: string;
  label: string;
  type: 'query';
  datasource: DatasourceRef;
  query: ApiTarget | PrometheusVariableQuery;
  definition?: string;
  description?: string;
  includeAll: boolean;
  allValue: string;
  multi: boolean;
  /** 1: on dashboard load; 2: on every time range change (the 10 s refresh included). */
  refresh: 1 | 2;
  /** A value the query did not return (set by a data link, or typed) is kept. */
  allowCustomValue?: boolean;
  current: Record<string, never>;
  options: [];
  sort: 1;
}

export function apiVariable(name: string, label: string, target: ApiTarget): Variable {
  return {
    name,
    label,
    type: 'query',
    datasource: QUERY_API,
    query: target,
    includeAll: true,
    // The query API reads an empty filter as "every drone".
    allValue: '',
    multi: false,
    refresh: 2,
    current: {},
    options: [],
    sort: 1,
  };
}

/**
 * The values of a Prometheus label, e.g. every pipeline: several may be chosen, All matches
 * every value (`label=~"$name"`).
 */
export function prometheusLabelVariable(name: string, label: string, metric: string): Variable {
  const definition = `label_values(${metric}, ${name})`;
  return {
    name,
    label,
    type: 'query',
    datasource: PROMETHEUS,
    query: { query: definition, refId: 'PrometheusVariableQueryEditor-VariableQuery', qryType: 1 },
    definition,
    includeAll: true,
    allValue: '.*',
    multi: true,
    refresh: 2,
    current: {},
    options: [],
    sort: 1,
  };
}

export interface Dashboard {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  editable: false;
  schemaVersion: 41;
  time: { from: string; to: string };
  refresh: string;
  timezone: 'browser';
  templating: { list: Variable[] };
  panels: Panel[];
}

const GRID_WIDTH = 24;

/** Panels flow left to right in rows of 24 columns, in the order given. */
export function dashboard(
  meta: { uid: string; title: string; description: string; tags: string[]; variables?: Variable[] },
  specs: PanelSpec[],
): Dashboard {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  const panels = specs.map((spec, index): Panel => {
    const {
      width = 12,
      height = 8,
      defaults = {},
      overrides = [],
      options = {},
      description = '',
      ...rest
    } = spec;
    if (x + width > GRID_WIDTH) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const gridPos = { x, y, w: width, h: height };
    x += width;
    rowHeight = Math.max(rowHeight, height);
    return {
      id: index + 1,
      ...rest,
      description,
      gridPos,
      datasource: spec.targets[0]!.datasource,
      fieldConfig: { defaults, overrides },
      options,
    };
  });
  return {
    uid: meta.uid,
    title: meta.title,
    description: meta.description,
    tags: meta.tags,
    editable: false,
    schemaVersion: 41,
    time: { from: 'now-1h', to: 'now' },
    refresh: '10s',
    timezone: 'browser',
    templating: { list: meta.variables ?? [] },
    panels,
  };
}

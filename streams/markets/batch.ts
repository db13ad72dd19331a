/**
 * Markets (stream 5) in the batch service: query-API routes over the bars the bollinger and aroon
 * pipelines write (streams/markets/schema.cql). No jobs; until the processor has created
 * the tables, the routes answer 503 saying so.
 */
import type { MarketsTables } from './schema.ts';
import { TypedTables } from '../../batch/rows.ts';
import { route, type BatchStream, type StreamContext } from '../../batch/stream.ts';
import { TablesPresent } from '../../batch/tables-present.ts';
import {
  BAR_COLUMNS,
  BARS_QUERY,
  SYMBOLS_QUERY,
  barDays,
  barsAnswer,
  parseBarsParams,
  parseSymbolsParams,
  type BarAnswer,
} from './api.ts';

/** Every table of MarketsTables, by name: the compiler keeps the two lists the same. */
const MARKETS_TABLES: Record<keyof MarketsTables, true> = { bars: true, symbols: true };

export class MarketsQueries {
  private readonly tables: TypedTables<MarketsTables>;
  private readonly present: TablesPresent;

  constructor(context: Pick<StreamContext, 'store' | 'keyspace' | 'log'>) {
    this.tables = new TypedTables(context.store, context.keyspace);
    this.present = new TablesPresent('markets', Object.keys(MARKETS_TABLES), context);
  }

  /** Every symbol seen, in code-point order (rows of one field: Grafana's Infinity reads a list of objects). */
  symbols(): Promise<{ symbols: { symbol: string }[] }> {
    return this.present.read(async () => {
      // A small table of one row per symbol: read whole.
      const rows = await this.tables.select('symbols', ['symbol'], '', []);
      return {
        symbols: rows
          .map((row) => row.symbol)
          .sort()
          .map((symbol) => ({ symbol })),
      };
    });
  }

  /** One symbol's bars in [from, to), oldest first, with their Bollinger and Aroon values. */
  bars(symbol: string, from: Date, to: Date): Promise<{ symbol: string; bars: BarAnswer[] }> {
    return this.present.read(async () => {
      const days = await Promise.all(
        barDays(from, to).map((day) =>
          this.tables.select(
            'bars',
            BAR_COLUMNS,
            'WHERE symbol = ? AND day = ? AND bar_start >= ? AND bar_start < ?',
            [symbol, day, from, to],
          ),
        ),
      );
      return { symbol, bars: barsAnswer(days.flat()) };
    });
  }
}

function marketsRoutes(context: StreamContext) {
  const queries = new MarketsQueries(context);
  return [
    route({
      path: '/markets/symbols',
      query: SYMBOLS_QUERY,
      summary: 'every symbol the markets pipelines have seen',
      parse: ({ query }) => parseSymbolsParams(query),
      read: () => queries.symbols(),
    }),
    route({
      path: '/markets/:symbol/bars',
      query: BARS_QUERY,
      summary:
        'one symbol’s OHLCV bars with Bollinger bands (20, 2σ) and Aroon (25) in [from, to) (default the last 30 min, at most 24 h)',
      parse: ({ query, params }) => parseBarsParams(params['symbol'], query),
      read: ({ symbol, from, to }) => queries.bars(symbol, from, to),
    }),
  ];
}

export const marketsStream: BatchStream = {
  name: 'markets',
  routes: marketsRoutes,
};

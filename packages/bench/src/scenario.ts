/** One measured figure. Figures with a baseline print it (measured in the same run) and the ratio. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** The same quantity for the reference this figure is compared with, measured in this run. */
  baseline?: { name: string; value: number };
  /** A target from the issues, for the table (not asserted). */
  target?: string;
  /** Parameters of the run (jobs, workers, nodes, ...). */
  params?: Record<string, string | number>;
}

export interface ScenarioContext {
  /** Figures already measured in this run, by name (e.g. the spawn baseline). */
  results: Map<string, Figure>;
  /** Master stores to measure end-to-end scenarios with (`--store sqlite,memory,postgres`). */
  stores: readonly StoreKind[];
  /** The master's flags for a store; for postgres, a fresh database on the bench's own PostgreSQL server. */
  storeArgs(store: StoreKind): Promise<string[]>;
  /** Environment of the master and worker processes (NODE_OPTIONS=--cpu-prof with `--profile DIR`). */
  childEnv: NodeJS.ProcessEnv;
  log(message: string): void;
  /** Sizes of the history benchmark, in finished jobs (`--history-sizes 1m,10m`). */
  historySizes: readonly number[];
  /** Length of the soak run, in minutes (`--minutes`). */
  soakMinutes: number;
}

export type StoreKind = 'sqlite' | 'memory' | 'postgres';

/** A benchmark scenario: one file in scenarios/, registered in scenarios/index.ts. */
export interface Scenario {
  name: string;
  description: string;
  /** Measured on PostgreSQL too, when the run's stores name it; other scenarios get the local stores only. @default false */
  postgres?: boolean;
  run(context: ScenarioContext): Promise<Figure[]>;
}

/** Percentile of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

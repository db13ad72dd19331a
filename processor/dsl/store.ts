/**
 * Keyed state that survives crashes: every store of a task is an in-memory map whose changes
 * since the last commit become changelog records, written in the same Kafka transaction as the
 * task's outputs and offsets. Restoring a task replays its changelog partition into the maps.
 */

export interface KeyValueStore<V> {
  get(key: string): V | undefined;
  /** Sets a value; one changed in place must be put again, or the change is not logged. */
  put(key: string, value: V): void;
  delete(key: string): void;
  entries(): IterableIterator<[string, V]>;
  readonly size: number;
}

/** A changelog record: a store's key and its latest value, or null once deleted (a tombstone). */
export interface ChangelogEntry {
  key: string;
  value: string | null;
}

const SEPARATOR = '/';

class TrackedStore<V> implements KeyValueStore<V> {
  readonly values = new Map<string, V>();
  readonly dirty = new Set<string>();

  get(key: string): V | undefined {
    return this.values.get(key);
  }

  put(key: string, value: V): void {
    this.values.set(key, value);
    this.dirty.add(key);
  }

  delete(key: string): void {
    if (this.values.delete(key)) this.dirty.add(key);
  }

  entries(): IterableIterator<[string, V]> {
    return this.values.entries();
  }

  get size(): number {
    return this.values.size;
  }
}

/** All stores of one task, and the changelog that mirrors them. */
export class TaskState {
  private readonly stores = new Map<string, TrackedStore<unknown>>();

  store<V>(name: string): KeyValueStore<V> {
    if (name.includes(SEPARATOR)) throw new Error(`a store name cannot contain '${SEPARATOR}': ${name}`);
    let store = this.stores.get(name);
    if (store === undefined) {
      store = new TrackedStore<unknown>();
      this.stores.set(name, store);
    }
    return store as KeyValueStore<V>;
  }

  /** Entries across every store but those named. */
  sizeWithout(...names: string[]): number {
    let size = 0;
    for (const [name, store] of this.stores) if (!names.includes(name)) size += store.size;
    return size;
  }

  /** The changes since the last call, as changelog records; the stores are clean afterwards. */
  takeChanges(): ChangelogEntry[] {
    const changes: ChangelogEntry[] = [];
    for (const [name, store] of this.stores) {
      for (const key of store.dirty) {
        const value = store.values.get(key);
        changes.push({
          key: `${name}${SEPARATOR}${key}`,
          value: value === undefined ? null : JSON.stringify(value),
        });
      }
      store.dirty.clear();
    }
    return changes;
  }

  /** Applies one changelog record read back at restore; later records of a key win. */
  restore({ key, value }: ChangelogEntry): void {
    const at = key.indexOf(SEPARATOR);
    if (at < 0) throw new Error(`not a changelog key: ${key}`);
    const store = this.store<unknown>(key.slice(0, at)) as TrackedStore<unknown>;
    const storeKey = key.slice(at + 1);
    if (value === null) store.values.delete(storeKey);
    else store.values.set(storeKey, JSON.parse(value));
  }
}

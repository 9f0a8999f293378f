import { runInDurableObject } from 'cloudflare:test';

/** Every table of an object's SQLite storage: its rows, each keyed by its primary key (the whole row where there is none). */
export type StorageDump = Record<string, Map<string, string>>;

const show = (v: unknown): unknown =>
  v instanceof ArrayBuffer ? `bytes:${[...new Uint8Array(v)].map((b) => b.toString(16).padStart(2, '0')).join('')}` : v;

/** Reads every table sqlite_master lists (the runtime's own `_cf_` tables aside), then every row of each. */
export function dumpStorage(stub: DurableObjectStub): Promise<StorageDump> {
  return runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    const tables = sql
      .exec<{ name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name",
      )
      .toArray()
      .map((t) => t.name);
    const dump: StorageDump = {};
    for (const table of tables) {
      const pk = sql
        .exec<{ name: string; pk: number }>('SELECT name, pk FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk', table)
        .toArray()
        .map((c) => c.name);
      const rows = new Map<string, string>();
      for (const row of sql.exec(`SELECT * FROM "${table}"`)) {
        const shown = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, show(v)]));
        rows.set(JSON.stringify(pk.length > 0 ? pk.map((k) => shown[k]) : shown), JSON.stringify(shown));
      }
      dump[table] = rows;
    }
    return dump;
  });
}

/** Rows inserted, deleted or changed between two dumps, as `table key` lines (empty: storage unchanged). */
export function changedRows(before: StorageDump, after: StorageDump): string[] {
  const changes: string[] = [];
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[table] ?? new Map<string, string>();
    const b = after[table] ?? new Map<string, string>();
    for (const key of new Set([...a.keys(), ...b.keys()]))
      if (a.get(key) !== b.get(key)) changes.push(`${table} ${key}`);
  }
  return changes.sort();
}

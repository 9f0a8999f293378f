/**
 * Applies the migrations a Durable Object's SQLite schema has not seen yet.
 * Migration i (0-based) brings the schema to version i + 1; the version is
 * kept in `<prefix>_schema` so that later releases only add to the list.
 */
export function migrate(sql: SqlStorage, prefix: string, migrations: readonly string[]): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS ${prefix}_schema (version INTEGER NOT NULL)`);
  const row = sql.exec<{ version: number }>(`SELECT version FROM ${prefix}_schema`).toArray()[0];
  let version = row?.version ?? 0;
  if (!row) sql.exec(`INSERT INTO ${prefix}_schema (version) VALUES (0)`);
  while (version < migrations.length) {
    sql.exec(migrations[version]);
    version++;
    sql.exec(`UPDATE ${prefix}_schema SET version = ?`, version);
  }
}

/** A key-value table `<prefix>_meta (key TEXT PRIMARY KEY, value)` for an object's scalars. */
export class MetaTable {
  constructor(
    private readonly sql: SqlStorage,
    private readonly table: string,
  ) {}

  get(key: string): SqlStorageValue | undefined {
    return this.sql.exec<{ value: SqlStorageValue }>(`SELECT value FROM ${this.table} WHERE key = ?`, key).toArray()[0]
      ?.value;
  }

  set(key: string, value: string | number): void {
    this.sql.exec(
      `INSERT INTO ${this.table} (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      key,
      value,
    );
  }
}

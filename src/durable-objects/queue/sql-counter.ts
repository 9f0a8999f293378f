/**
 * Counts the rows an object's SQL writes, from the runtime's own counter: each cursor's `rowsWritten`
 * (workerd's SqlStorage::Cursor, from libsql's LIBSQL_STMTSTATUS_ROWS_WRITTEN: a row of a table or of an index
 * inserted, updated or deleted, triggers included). The runtime runs a statement to its first row inside
 * `exec()` (SqliteDatabase::Query::init), so an INSERT, UPDATE or DELETE, which writes everything on that
 * first step (with RETURNING too), has its count final when `exec()` returns; that is when it is read. Of a
 * string of several statements (the schema migrations), only the last one's rows are reported.
 */
export class SqlWriteCounter {
  rowsWritten = 0;

  /** `sql` with every `exec` counted; the rest of its API as it is. */
  wrap(sql: SqlStorage): SqlStorage {
    const exec = (query: string, ...bindings: unknown[]) => {
      const cursor = sql.exec(query, ...bindings);
      this.rowsWritten += cursor.rowsWritten;
      return cursor;
    };
    return new Proxy(sql, {
      get(target, prop) {
        if (prop === 'exec') return exec;
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }
}

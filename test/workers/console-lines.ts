import { expect, vi } from 'vitest';

export type LogMethod = 'debug' | 'info' | 'warn' | 'error';

/** Every line written with console[method] from now on, parsed (a line that is no JSON object fails the test). */
export function linesOf(method: LogMethod): () => any[] {
  const spy = vi.spyOn(console, method).mockImplementation(() => undefined);
  return () =>
    spy.mock.calls.map((args) => {
      expect(args).toHaveLength(1);
      const line = JSON.parse(String(args[0]));
      expect(line).toMatchObject({ level: method, msg: expect.any(String) });
      return line;
    });
}

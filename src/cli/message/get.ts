/** `flaremq message get <msgId>`: one message by id, with its body and properties. */
import type { Command } from 'commander';
import { client, output } from '../context';
import { messageJson, printMessage } from './print';

export function register(noun: Command): void {
  noun
    .command('get')
    .description('read a message by its msgId')
    .argument('<msgId>')
    .action(async (msgId: string, _opts, cmd: Command) => {
      const m = await client(cmd).admin().messages.get(msgId);
      output(cmd, messageJson(m), () => printMessage(m));
    });
}

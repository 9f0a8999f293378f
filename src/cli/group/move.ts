/** What reset-offset and skip share: the topics to act on (one, or every topic of the group) with a progress bar. */
import type { Command } from 'commander';
import type { Admin, OffsetsMoved } from '../../sdk/index';
import { output } from '../context';
import { progress, table } from '../output';

export async function moveOffsets(
  cmd: Command,
  admin: Admin,
  group: string,
  topic: string | undefined,
  move: (topic: string) => Promise<OffsetsMoved>,
): Promise<void> {
  const topics = topic ? [topic] : (await admin.groups.get(group)).topics.filter((t) => !t.startsWith('%DLQ%'));
  const bar = progress(topics.length, 'topics');
  const moved: OffsetsMoved[] = [];
  try {
    for (const t of topics) {
      moved.push(await move(t));
      bar.increment();
    }
  } finally {
    bar.stop();
  }
  output(cmd, topic ? moved[0] : moved, () =>
    table(
      ['TOPIC', 'BROKER', 'QUEUE', 'NEW OFFSET', 'GENERATION'],
      moved.flatMap((m) => m.offsets.map((o) => [m.topic, o.brokerName, o.queueId, o.offset, m.generation])),
    ),
  );
}

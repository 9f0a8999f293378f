import { Hono } from 'hono';
import { brokerObjectName } from '../../core/object-names';
import type { Env } from '../../env';
import { brokerCall, config, withNameServer } from '../cluster';

/** The cluster as the NameServers see it, and each broker's own status. */
export const cluster = new Hono<{ Bindings: Env }>();

cluster.get('/cluster', async (c) => {
  const layout = config(c.env);
  const info = await withNameServer(c.env, (ns) => ns.getClusterInfo());
  return c.json({ clusterName: layout.clusterName, nameServerCount: layout.nameServerCount, ...info });
});

cluster.get('/brokers', async (c) => {
  const brokers = await Promise.all(
    config(c.env).brokers.map((b) => brokerCall(() => c.env.BROKER.getByName(brokerObjectName(b.brokerName, b.brokerId)).status())),
  );
  return c.json({ brokers });
});

import type { BrokerConfig, ClusterConfig } from './config';

/** A broker's config in the layout; undefined when the layout does not list it. */
export function brokerOf(config: ClusterConfig, brokerName: string, brokerId: number): BrokerConfig | undefined {
  return config.brokers.find((b) => b.brokerName === brokerName && b.brokerId === brokerId);
}

/** The slaves (brokerId ≥ 1) of a broker group, by id. */
export function slavesOf(config: ClusterConfig, brokerName: string): BrokerConfig[] {
  return config.brokers
    .filter((b) => b.brokerName === brokerName && b.brokerId > 0)
    .sort((a, b) => a.brokerId - b.brokerId);
}

/** RocketMQ's four deployment modes, as the layout of one group shows it. */
export type DeploymentMode = 'SINGLE_MASTER' | 'MULTI_MASTER' | 'MULTI_MASTER_ASYNC_SLAVE' | 'MULTI_MASTER_SYNC_SLAVE';

/**
 * The deployment mode of a layout: several masters with slaves are sync when
 * every master with a slave is SYNC_MASTER, async when none is, and mixed
 * layouts are described by their masters' roles (answered as async).
 */
export function deploymentMode(config: ClusterConfig): DeploymentMode {
  const masters = config.brokers.filter((b) => b.brokerId === 0);
  const withSlaves = masters.filter((m) => slavesOf(config, m.brokerName).length > 0);
  if (withSlaves.length === 0) return masters.length === 1 ? 'SINGLE_MASTER' : 'MULTI_MASTER';
  return withSlaves.every((m) => m.brokerRole === 'SYNC_MASTER')
    ? 'MULTI_MASTER_SYNC_SLAVE'
    : 'MULTI_MASTER_ASYNC_SLAVE';
}

import {
  DashboardBuilder,
  DashboardLinkBuilder,
  DashboardLinkType,
} from '@grafana/grafana-foundation-sdk/dashboard';

/**
 * What every hashfleet dashboard shares: the title prefix and tag, UTC (two sites, two time zones:
 * one clock for both), and a menu of the other hashfleet dashboards that keeps the time range
 * and the site/container/miner selection.
 */
export function hashfleetDashboard(
  title: string,
  uid: string,
  from: string,
  refresh = '1m',
): DashboardBuilder {
  return new DashboardBuilder(`hashfleet / ${title}`)
    .uid(uid)
    .tags(['hashfleet'])
    .refresh(refresh)
    .time({ from, to: 'now' })
    .timezone('utc')
    .link(
      new DashboardLinkBuilder('hashfleet')
        .type(DashboardLinkType.Dashboards)
        .tags(['hashfleet'])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    );
}

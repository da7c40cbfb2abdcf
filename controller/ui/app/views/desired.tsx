import { useState } from 'preact/hooks';
import { Loading, Problem, Section, Tile } from '../components/bits.js';
import { Table } from '../components/table.js';
import { ago, count } from '../format.js';
import { t } from '../i18n.js';
import type { Me } from '../roles.js';
import { post } from '../session.js';
import { minerName } from '../shapes.js';
import { usePoll } from '../use-poll.js';

/** Replies of controller/src/desired/ (views.ts): desired states, drift and rollouts (issue 20). */
interface Version {
  id: string;
  scopeKey: string;
  scope: { kind: string; siteId?: string; containerId?: string; model?: string; name?: string };
  version: number;
  state: string;
  note: string;
  spec: {
    pool?: { url: string; workerPattern: string };
    power?: { targetW?: number; mode?: string; expectPowerW?: number };
    sleepWindows?: { from: string; to: string }[];
    firmware?: { family: string; version: string };
  };
  requestedBy: string;
  approvedBy: string | null;
  createdAt: number;
}
interface Drifted {
  field: string;
  desired: string;
  actual: string | null;
  since?: number | null;
}
interface MinerDrift {
  minerId: string;
  serial: string | null;
  containerId: string | null;
  model: string | null;
  rack: string | null;
  slot: string | null;
  managed: boolean;
  drift: Drifted[];
}
interface Counts {
  managed: number;
  drifted: number;
  byField: Record<string, number>;
}
interface DriftCounts {
  total: Counts;
  sites: (Counts & { siteId: string | null })[];
  containers: (Counts & { containerId: string | null })[];
}
interface RolloutItem {
  minerId: string;
  serial: string | null;
  containerId: string | null;
  rack: string | null;
  slot: string | null;
  wave: number;
  state: string;
  reason: string | null;
  ops: string[];
  drift: Drifted[];
}
interface Rollout {
  id: string;
  scopeKey: string;
  version: number | null;
  state: string;
  reason: string | null;
  wave: number;
  waves: number;
  canary: number;
  powerBudget: number;
  requestedBy: string;
  approvedBy: string | null;
  createdAt: number;
  progress: { wave: number; counts: Record<string, number> }[];
  items: RolloutItem[];
}

/** Words for the API's field and state names: literal keys, so the catalogue test sees each. */
const FIELDS: Record<string, () => string> = {
  pool: () => t('desired.field.pool'),
  worker: () => t('desired.field.worker'),
  power: () => t('desired.field.power'),
  sleep: () => t('desired.field.sleep'),
  firmware: () => t('desired.field.firmware'),
};
const STATES: Record<string, () => string> = {
  pending_approval: () => t('desired.state.pendingApproval'),
  active: () => t('desired.state.active'),
  superseded: () => t('desired.state.superseded'),
  running: () => t('desired.state.running'),
  paused: () => t('desired.state.paused'),
  done: () => t('desired.state.done'),
  aborted: () => t('desired.state.aborted'),
  queued: () => t('desired.state.queued'),
  sending: () => t('desired.state.sending'),
  sent: () => t('desired.state.sent'),
  verified: () => t('desired.state.verified'),
  failed: () => t('desired.state.failed'),
  refused: () => t('desired.state.refused'),
  cancelled: () => t('desired.state.cancelled'),
};
const fieldName = (f: string) => FIELDS[f]?.() ?? f;
const stateName = (s: string) => STATES[s]?.() ?? s;

function scopeName(v: Pick<Version, 'scope'>): string {
  const s = v.scope;
  if (s.kind === 'site') return t('desired.scope.site', { id: s.siteId });
  if (s.kind === 'container') return t('desired.scope.container', { id: s.containerId });
  if (s.kind === 'model') return t('desired.scope.model', { id: s.model });
  return t('desired.scope.selection', { id: s.name });
}

/** A rollout's scope from its key (`container:kz-c1`), worded like a version's scope. */
function scopeOfKey(key: string): string {
  const at = key.indexOf(':');
  const [kind, id] = [key.slice(0, at), key.slice(at + 1)];
  const scope = { kind, siteId: id, containerId: id, model: id, name: id };
  return scopeName({ scope });
}

function specText(v: Version): string {
  const parts: string[] = [];
  const s = v.spec;
  if (s.pool) parts.push(`${fieldName('pool')}: ${s.pool.url} (${s.pool.workerPattern})`);
  if (s.power?.targetW) parts.push(`${fieldName('power')}: ${s.power.targetW} W`);
  if (s.power?.mode) parts.push(`${fieldName('power')}: ${s.power.mode} (${s.power.expectPowerW} W)`);
  if (s.sleepWindows)
    parts.push(`${fieldName('sleep')}: ${s.sleepWindows.map((w) => `${w.from}–${w.to}`).join(', ') || '–'}`);
  if (s.firmware) parts.push(`${fieldName('firmware')}: ${s.firmware.family} ${s.firmware.version}`);
  return parts.join(' · ');
}

const driftText = (d: Drifted[]) =>
  d.map((f) =>
    t('desired.driftLine', { field: fieldName(f.field), desired: f.desired, actual: f.actual ?? '–' }),
  );

type Act = (what: string, f: () => Promise<unknown>) => Promise<void>;

/** The Operations view's part: desired states, the fleet's drift, and rollouts with their waves. */
export function DesiredSection({ me, act }: { me: Me; act: Act }) {
  const states = usePoll<{ active: Version[]; versions: Version[] }>('/desired-states?limit=30', 5_000);
  const rollouts = usePoll<Rollout[]>('/rollouts?limit=10', 2_000);
  const editor = me.role === 'admin' || me.role === 'operator';
  return (
    <>
      <Section title={t('desired.title')}>
        <Problem error={states.error} />
        {states.data ? (
          <Table<Version>
            rows={states.data.versions}
            testid="desired-versions"
            empty={t('desired.none')}
            columns={[
              { label: t('desired.scope'), cell: (v) => scopeName(v) },
              { label: t('desired.version'), cell: (v) => `v${v.version}`, num: true },
              { label: t('common.state'), cell: (v) => stateName(v.state) },
              { label: t('desired.spec'), cell: (v) => specText(v) },
              {
                label: t('desired.who'),
                cell: (v) =>
                  v.approvedBy
                    ? t('desired.requestedApproved', { requester: v.requestedBy, approver: v.approvedBy })
                    : v.requestedBy,
              },
              { label: t('common.when'), cell: (v) => ago(v.createdAt) },
              {
                label: '',
                cell: (v) =>
                  editor && v.state === 'pending_approval' ? (
                    <button
                      type="button"
                      onClick={() =>
                        act(t('desired.approveWhat', { scope: scopeName(v), version: v.version }), () =>
                          post(`/desired-states/versions/${v.id}/approve`, {}),
                        )
                      }
                    >
                      {t('common.approve')}
                    </button>
                  ) : editor && v.state === 'active' ? (
                    <button
                      type="button"
                      data-testid={`apply-${v.scopeKey}`}
                      onClick={() =>
                        act(t('desired.applyWhat', { scope: scopeName(v), version: v.version }), () =>
                          post(`/desired-states/versions/${v.id}/apply`, {}),
                        )
                      }
                    >
                      {t('desired.apply')}
                    </button>
                  ) : null,
              },
            ]}
          />
        ) : (
          <Loading what={t('desired.title')} />
        )}
        {editor && <DesiredForm act={act} />}
      </Section>
      <Section title={t('desired.drift')}>
        <DriftTable />
      </Section>
      <Section title={t('desired.rollouts')}>
        <Problem error={rollouts.error} />
        {rollouts.data ? (
          rollouts.data.length === 0 ? (
            <p class="muted">{t('desired.noRollouts')}</p>
          ) : (
            rollouts.data.map((r) => <RolloutCard key={r.id} r={r} editor={editor} act={act} />)
          )
        ) : (
          <Loading what={t('desired.rollouts')} />
        )}
      </Section>
    </>
  );
}

/** A new version of a scope's desired state; empty fields are left unmanaged. */
function DesiredForm({ act }: { act: Act }) {
  const [kind, setKind] = useState('container');
  const [f, setF] = useState<Record<string, string>>({});
  const set = (k: string) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  const submit = () => {
    const scopeId = (f['scopeId'] ?? '').trim();
    const scope =
      kind === 'site'
        ? { kind, siteId: scopeId }
        : kind === 'model'
          ? { kind, model: scopeId }
          : kind === 'selection'
            ? { kind, name: scopeId, minerIds: (f['minerIds'] ?? '').split(/[\s,]+/).filter(Boolean) }
            : { kind, containerId: scopeId };
    const spec: Record<string, unknown> = {};
    if (f['poolUrl']) spec['pool'] = { url: f['poolUrl'], workerPattern: f['workerPattern'] ?? '' };
    if (f['powerW']) spec['power'] = { targetW: Number(f['powerW']) };
    if (f['sleep'] !== undefined && f['sleep'] !== '')
      spec['sleepWindows'] = f['sleep']
        .split(',')
        .map((w) => w.trim().split(/[-–]/))
        .map(([from, to]) => ({ from: from?.trim(), to: to?.trim() }));
    if (f['fwVersion'])
      spec['firmware'] = {
        family: f['fwFamily'] ?? '',
        version: f['fwVersion'],
        imageSha256: f['fwSha'] ?? '',
      };
    return act(t('desired.setWhat'), () => post('/desired-states', { scope, spec, note: f['note'] ?? '' }));
  };
  const input = (k: string, label: string, type = 'text') => (
    <label>
      {label} <input name={k} type={type} value={f[k] ?? ''} onInput={set(k)} />
    </label>
  );
  return (
    <form
      class="inline-form"
      data-testid="desired-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label>
        {t('desired.scope')}{' '}
        <select name="kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
          <option value="site">{t('common.site')}</option>
          <option value="container">{t('common.container')}</option>
          <option value="model">{t('common.model')}</option>
          <option value="selection">{t('desired.selection')}</option>
        </select>
      </label>
      {input('scopeId', t('desired.scopeId'))}
      {kind === 'selection' && input('minerIds', t('desired.minerIds'))}
      {input('poolUrl', t('desired.poolUrl'))}
      {input('workerPattern', t('desired.workerPattern'))}
      {input('powerW', t('desired.powerW'), 'number')}
      {input('sleep', t('desired.sleepWindows'))}
      {input('fwFamily', t('desired.fwFamily'))}
      {input('fwVersion', t('desired.fwVersion'))}
      {input('fwSha', t('desired.fwSha'))}
      {input('note', t('desired.note'))}
      <button type="submit">{t('desired.set')}</button>
    </form>
  );
}

/** The miners out of their desired state, per field, filtered by container and field. */
export function DriftTable({ containerId }: { containerId?: string }) {
  const [field, setField] = useState('');
  const q = [
    containerId ? `containerId=${encodeURIComponent(containerId)}` : '',
    field ? `field=${field}` : '',
  ]
    .filter(Boolean)
    .join('&');
  const drift = usePoll<MinerDrift[]>(`/drift${q ? `?${q}` : ''}`, 10_000);
  return (
    <div data-testid="drift">
      {containerId && <h2>{t('desired.drift')}</h2>}
      <label>
        {t('desired.filterField')}{' '}
        <select
          name="drift-field"
          value={field}
          onChange={(e) => setField((e.target as HTMLSelectElement).value)}
        >
          <option value="">{t('common.all')}</option>
          {Object.keys(FIELDS).map((k) => (
            <option key={k} value={k}>
              {fieldName(k)}
            </option>
          ))}
        </select>
      </label>
      <Problem error={drift.error} />
      {drift.data ? (
        <Table<MinerDrift>
          rows={drift.data}
          testid="drift-table"
          empty={t('desired.noDrift')}
          columns={[
            { label: t('common.miner'), cell: (m) => minerName(m) },
            { label: t('common.model'), cell: (m) => m.model ?? '–' },
            { label: t('desired.driftColumn'), cell: (m) => driftText(m.drift).join('; ') },
            {
              label: t('desired.since'),
              cell: (m) => {
                const since = Math.min(...m.drift.map((d) => d.since ?? Number.POSITIVE_INFINITY));
                return Number.isFinite(since) ? ago(since) : '–';
              },
            },
          ]}
        />
      ) : (
        <Loading what={t('desired.drift')} />
      )}
    </div>
  );
}

/** Drift counts for the overview: the fleet, then each site. */
export function DriftTiles() {
  const counts = usePoll<DriftCounts>('/drift/counts', 30_000);
  if (!counts.data || counts.data.total.managed === 0) return null;
  const fields = (c: Counts) =>
    Object.entries(c.byField)
      .filter(([, n]) => n > 0)
      .map(([f, n]) => `${fieldName(f)} ${count(n)}`)
      .join(' · ');
  return (
    <div class="tiles" data-testid="drift-tiles">
      <Tile
        label={t('desired.driftedMiners')}
        value={t('common.nOfM', { n: count(counts.data.total.drifted), m: count(counts.data.total.managed) })}
        hint={fields(counts.data.total) || undefined}
      />
      {counts.data.sites
        .filter((s) => s.managed > 0)
        .map((s) => (
          <Tile
            key={s.siteId ?? ''}
            label={t('desired.driftedAt', { site: s.siteId ?? '–' })}
            value={t('common.nOfM', { n: count(s.drifted), m: count(s.managed) })}
            hint={fields(s) || undefined}
          />
        ))}
    </div>
  );
}

/** One rollout: its waves' progress, each miner's outcome by name, and what a person may do. */
function RolloutCard({ r, editor, act }: { r: Rollout; editor: boolean; act: Act }) {
  const name = t('desired.rolloutName', { scope: scopeOfKey(r.scopeKey), version: r.version ?? '–' });
  const step = (path: string, label: string) => (
    <button
      type="button"
      onClick={() => act(`${label} ${name}`, () => post(`/rollouts/${r.id}/${path}`, {}))}
    >
      {label}
    </button>
  );
  return (
    <div class="site-card" data-testid={`rollout-${r.state}`}>
      <h3>
        {name} · {stateName(r.state)}
      </h3>
      <p class="muted">
        {t('desired.rolloutInfo', {
          wave: Math.min(r.wave + 1, r.waves),
          waves: r.waves,
          canary: r.canary,
          budget: r.powerBudget,
          who: r.requestedBy,
        })}
        {r.reason ? ` · ${r.reason}` : ''}
      </p>
      <ul class="waves">
        {r.progress.map((w) => (
          <li key={w.wave}>
            {w.wave === 0 ? t('desired.canary') : t('desired.wave', { n: w.wave })}:{' '}
            {Object.entries(w.counts)
              .map(([s, n]) => `${stateName(s)} ${count(n)}`)
              .join(' · ')}
          </li>
        ))}
      </ul>
      {editor && (
        <p>
          {r.state === 'pending_approval' && step('approve', t('common.approve'))}
          {r.state === 'running' && step('pause', t('desired.pause'))}
          {r.state === 'paused' && step('resume', t('desired.resume'))}
          {['pending_approval', 'running', 'paused'].includes(r.state) && step('abort', t('desired.abort'))}
          {step('rollback', t('desired.rollback'))}
        </p>
      )}
      <Table<RolloutItem>
        rows={r.items}
        testid="rollout-items"
        empty={t('desired.noItems')}
        columns={[
          { label: t('common.miner'), cell: (i) => [minerName(i), i.serial].filter(Boolean).join(' · ') },
          { label: t('desired.waveColumn'), cell: (i) => (i.wave < 0 ? '–' : String(i.wave)), num: true },
          { label: t('desired.does'), cell: (i) => i.ops.join(', ') },
          { label: t('desired.driftColumn'), cell: (i) => driftText(i.drift).join('; ') },
          { label: t('common.state'), cell: (i) => stateName(i.state) },
          { label: t('desired.reason'), cell: (i) => i.reason ?? '' },
        ]}
      />
    </div>
  );
}

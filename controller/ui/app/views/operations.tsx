import { useState } from 'preact/hooks';
import { Loading, Problem, Section } from '../components/bits.js';
import { Table } from '../components/table.js';
import { Time } from '../components/time.js';
import { t } from '../i18n.js';
import { label } from '../labels.js';
import type { Me } from '../roles.js';
import { post } from '../session.js';
import { minerName } from '../shapes.js';
import { usePoll } from '../use-poll.js';
import { DesiredSection } from './desired.js';
import { ProfileEditorSection } from './editors/profile-editor.js';
import { ScheduleEditorSection } from './editors/schedule-editor.js';

/** Replies of controller/src/operations/bulk.ts (describeJob), operations/profiles/ and operations/curtailment/. */
interface BulkItem {
  minerId: string;
  serial: string | null;
  containerId: string | null;
  rack: string | null;
  slot: string | null;
  batch: number;
  state: string;
  reason: string | null;
  actions: { op: string; watts?: number; mode?: string }[];
}

/** Container, rack and slot, and serial when known; never the internal id. */
function minerPlace(i: BulkItem): string {
  const place = i.rack && i.slot ? `${i.containerId ?? ''} ${i.rack}/${i.slot}`.trim() : null;
  return [place, i.serial].filter(Boolean).join(' · ') || '–';
}

interface BulkJob {
  id: string;
  kind: string;
  ref: string | null;
  op: string;
  state: string;
  requestedBy: string;
  approvedBy: string | null;
  createdAt: number;
  progress: Record<string, number>;
  items: BulkItem[];
}

interface Profile {
  name: string;
  description: string;
  presets: { model: string; powerTargetW?: number; powerMode?: string; fanMode?: string }[];
  sleepWindows: { from: string; to: string }[];
}

interface PreviewRow {
  minerId: string;
  containerId?: string | null;
  serial?: string | null;
  assetCode?: string | null;
  rack?: string | null;
  slot?: string | null;
  model: string | null;
  firmware: string | null;
  actions: BulkItem['actions'];
  refusal: string | null;
}

interface ScheduleView {
  id: string;
  enabled: boolean;
  profile: string | null;
  applicationId: string | null;
  schedule: {
    name: string;
    siteId: string;
    trigger:
      | { kind: 'windows'; windows: { from: string; to: string }[] }
      | { kind: 'tariff'; abovePerKwh: number };
    action: { kind: 'sleep' } | { kind: 'power'; watts: number; restoreWatts: number };
    stepSize: number;
    stepEveryS: number;
  };
  miners: { minerId: string; state: string }[];
}

interface Place {
  id: string;
  siteId?: string;
}

const windowsText = (ws: { from: string; to: string }[]) => ws.map((w) => `${w.from}–${w.to}`).join(', ');
const actionText = (a: BulkItem['actions'][number]) =>
  a.op + (a.watts !== undefined ? ` ${a.watts} W` : '') + (a.mode ? ` ${a.mode}` : '');
const progressText = (p: Record<string, number>) =>
  Object.entries(p)
    .map(([state, n]) => `${label('itemState', state)} ${n}`)
    .join(' · ');

/** Bulk jobs with their progress, operating profiles to apply and roll back, curtailment schedules. */
export function OperationsView({ me }: { me: Me }) {
  const jobs = usePoll<BulkJob[]>('/commands/bulk?limit=20', 2_000);
  const profiles = usePoll<Profile[]>('/operating-profiles', 30_000);
  const schedules = usePoll<ScheduleView[]>('/curtailment', 5_000);
  const [message, setMessage] = useState<string | null>(null);
  const act = async (what: string, f: () => Promise<unknown>) => {
    setMessage(`${what}…`);
    try {
      await f();
      setMessage(t('common.doneRefresh', { what }));
    } catch (err) {
      setMessage(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const ready = jobs.data && profiles.data && schedules.data;
  return (
    <div class="page" data-testid={ready ? 'operations-ready' : undefined}>
      <h1>{t('nav.operations')}</h1>
      <Problem error={jobs.error ?? profiles.error ?? schedules.error} />
      {message && (
        <p class="muted" data-testid="operations-message">
          {message}
        </p>
      )}
      <Section title={t('ops.profiles')}>
        {profiles.data ? (
          <ProfileList profiles={profiles.data} act={act} />
        ) : (
          <Loading what={t('what.profiles')} />
        )}
        {profiles.data && me.role !== 'technician' && (
          <ProfileEditorSection profiles={profiles.data} onSaved={(what) => act(what, async () => {})} />
        )}
      </Section>
      <Section title={t('ops.jobs')}>
        {jobs.data ? <JobList jobs={jobs.data} me={me} act={act} /> : <Loading what={t('what.jobs')} />}
      </Section>
      <DesiredSection me={me} act={act} />
      <Section title={t('ops.schedules')}>
        {schedules.data ? (
          <Table<ScheduleView>
            rows={schedules.data}
            testid="schedules"
            empty={t('ops.noSchedules')}
            columns={[
              { label: t('ops.schedule'), cell: (s) => s.schedule.name },
              { label: t('common.site'), cell: (s) => s.schedule.siteId },
              {
                label: t('common.when'),
                cell: (s) =>
                  s.schedule.trigger.kind === 'windows'
                    ? windowsText(s.schedule.trigger.windows)
                    : t('ops.tariffAbove', { value: s.schedule.trigger.abovePerKwh }),
              },
              {
                label: t('ops.does'),
                cell: (s) =>
                  s.schedule.action.kind === 'sleep'
                    ? t('action.sleep')
                    : t('ops.powerTo', {
                        watts: s.schedule.action.watts,
                        restore: s.schedule.action.restoreWatts,
                      }),
              },
              {
                label: t('ops.ramp'),
                cell: (s) => t('ops.rampText', { size: s.schedule.stepSize, every: s.schedule.stepEveryS }),
              },
              {
                label: t('ops.curtailed'),
                cell: (s) =>
                  t('common.nOfM', {
                    n: s.miners.filter((m) => m.state === 'curtailed').length,
                    m: s.miners.length,
                  }),
                num: true,
              },
              {
                label: t('relocation.from'),
                cell: (s) =>
                  s.profile
                    ? t('ops.fromProfile', { profile: s.profile, application: s.applicationId?.slice(0, 8) })
                    : '',
              },
              {
                label: '',
                cell: (s) => (
                  <button
                    type="button"
                    onClick={() =>
                      act(`${s.enabled ? t('ops.disable') : t('ops.enable')} ${s.schedule.name}`, () =>
                        post(`/curtailment/${s.id}/${s.enabled ? 'disable' : 'enable'}`, {}),
                      )
                    }
                  >
                    {s.enabled ? t('ops.disable') : t('ops.enable')}
                  </button>
                ),
              },
            ]}
          />
        ) : (
          <Loading what={t('what.schedules')} />
        )}
        {me.role !== 'technician' && <ScheduleEditorSection onSaved={(what) => act(what, async () => {})} />}
      </Section>
    </div>
  );
}

type Act = (what: string, f: () => Promise<unknown>) => Promise<void>;

/** Profiles; applying one first previews, per miner, what would be sent and who is refused. */
function ProfileList({ profiles, act }: { profiles: Profile[]; act: Act }) {
  const containers = usePoll<Place[]>('/containers', 0);
  const sites = usePoll<Place[]>('/sites', 0);
  const [open, setOpen] = useState<string | null>(null);
  const [target, setTarget] = useState('');
  const [batchSize, setBatchSize] = useState(10);
  const [pauseS, setPauseS] = useState(60);
  const [preview, setPreview] = useState<PreviewRow[] | null>(null);
  const selector = () => {
    const [kind, id] = target.split(':');
    return kind === 'site' ? { siteId: id } : { containerId: id };
  };
  const choose = (name: string) => {
    setOpen(open === name ? null : name);
    setPreview(null);
  };
  const doPreview = (name: string) =>
    act(t('ops.previewWhat', { name }), async () =>
      setPreview(await post<PreviewRow[]>(`/operating-profiles/${name}/preview`, { selector: selector() })),
    );
  const apply = (name: string) =>
    act(t('ops.applyWhat', { name }), async () => {
      await post(`/operating-profiles/${name}/apply`, { selector: selector(), batchSize, pauseS });
      setPreview(null);
      setOpen(null);
    });
  const refused = preview?.filter((p) => p.refusal) ?? [];
  return (
    <>
      <Table<Profile>
        rows={profiles}
        testid="profiles"
        empty={t('ops.noProfiles')}
        columns={[
          { label: t('ops.profile'), cell: (p) => p.name },
          { label: t('ops.description'), cell: (p) => p.description },
          {
            label: t('ops.presets'),
            cell: (p) =>
              p.presets
                .map(
                  (s) =>
                    `${s.model}: ${s.powerTargetW ? `${s.powerTargetW} W` : (s.powerMode ?? '')}${s.fanMode ? ` ${t('ops.fan', { mode: s.fanMode })}` : ''}`,
                )
                .join('; '),
          },
          { label: t('ops.sleeps'), cell: (p) => windowsText(p.sleepWindows) || '—' },
          {
            label: '',
            cell: (p) => (
              <button type="button" onClick={() => choose(p.name)}>
                {t('ops.apply')}
              </button>
            ),
          },
        ]}
      />
      {open && (
        <div class="actions-box" data-testid="apply-form">
          <label>
            {t('ops.applyTo', { name: open })}{' '}
            <select
              name="target"
              value={target}
              onChange={(e) => {
                setTarget((e.target as HTMLSelectElement).value);
                setPreview(null);
              }}
            >
              <option value="">{t('ops.choose')}</option>
              {(containers.data ?? []).map((c) => (
                <option key={c.id} value={`container:${c.id}`}>
                  {t('ops.containerOption', { id: c.id })}
                </option>
              ))}
              {(sites.data ?? []).map((s) => (
                <option key={s.id} value={`site:${s.id}`}>
                  {t('ops.siteOption', { id: s.id })}
                </option>
              ))}
            </select>
          </label>{' '}
          <label>
            {t('ops.batch')}{' '}
            <input
              name="batchSize"
              type="number"
              min={1}
              value={batchSize}
              onInput={(e) => setBatchSize(Number((e.target as HTMLInputElement).value))}
            />
          </label>{' '}
          <label>
            {t('ops.pause')}{' '}
            <input
              name="pauseS"
              type="number"
              min={0}
              value={pauseS}
              onInput={(e) => setPauseS(Number((e.target as HTMLInputElement).value))}
            />
          </label>{' '}
          <button type="button" disabled={!target} onClick={() => doPreview(open)}>
            {t('ops.preview')}
          </button>
          {preview && (
            <div data-testid="preview">
              <p>
                {t('ops.previewSummary', {
                  changed: preview.length - refused.length,
                  total: preview.length,
                  refused: refused.length,
                })}
              </p>
              <Table<PreviewRow>
                rows={refused}
                testid="preview-refusals"
                empty={t('ops.noneRefused')}
                columns={[
                  { label: t('common.miner'), cell: (r) => <PreviewMiner row={r} /> },
                  { label: t('common.model'), cell: (r) => r.model ?? '' },
                  { label: t('ops.firmware'), cell: (r) => r.firmware ?? '' },
                  { label: t('ops.refusedBecause'), cell: (r) => r.refusal },
                ]}
              />
              <button type="button" disabled={preview.length === refused.length} onClick={() => apply(open)}>
                {t('ops.confirmApply')}
              </button>
            </div>
          )}
        </div>
      )}
    </>
  );
}

/** Bulk jobs, newest first; a row opens its per-miner states. */
function JobList({ jobs, me, act }: { jobs: BulkJob[]; me: Me; act: Act }) {
  const [open, setOpen] = useState<string | null>(null);
  const shown = jobs.find((j) => j.id === open);
  return (
    <>
      <Table<BulkJob>
        rows={jobs}
        testid="bulk-jobs"
        empty={t('ops.noJobs')}
        columns={[
          {
            label: t('ops.job'),
            cell: (j) => (
              <button type="button" class="linkish" onClick={() => setOpen(open === j.id ? null : j.id)}>
                {j.kind === 'command' ? j.op : `${j.op} ${j.ref ?? ''}`}
              </button>
            ),
          },
          {
            label: t('common.state'),
            cell: (j) => <span data-job-state={j.id}>{label('jobState', j.state)}</span>,
          },
          {
            label: t('ops.progress'),
            cell: (j) => <span data-job-progress={j.id}>{progressText(j.progress)}</span>,
          },
          {
            label: t('ops.requested'),
            cell: (j) => (
              <>
                <Time at={j.createdAt} /> {t('common.byWho', { who: j.requestedBy })}
              </>
            ),
          },
          { label: t('ops.approvedBy'), cell: (j) => j.approvedBy ?? '' },
          {
            label: '',
            cell: (j) => (
              <>
                {j.state === 'pending_approval' && j.requestedBy !== me.name && (
                  <button
                    type="button"
                    onClick={() => act(t('ops.approveJob'), () => post(`/commands/bulk/${j.id}/approve`, {}))}
                  >
                    {t('common.approve')}
                  </button>
                )}
                {(j.state === 'pending_approval' || j.state === 'running') && (
                  <button
                    type="button"
                    onClick={() => act(t('ops.cancelJob'), () => post(`/commands/bulk/${j.id}/cancel`, {}))}
                  >
                    {t('common.cancel')}
                  </button>
                )}
                {j.kind === 'profile' && j.state !== 'pending_approval' && (
                  <button
                    type="button"
                    onClick={() =>
                      act(t('ops.rollBackWhat', { name: j.ref }), () =>
                        post(`/operating-profiles/applications/${j.id}/rollback`, {
                          batchSize: 10,
                          pauseS: 60,
                        }),
                      )
                    }
                  >
                    {t('ops.rollBack')}
                  </button>
                )}
              </>
            ),
          },
        ]}
      />
      {shown && (
        <table data-testid="job-items" data-job={shown.id}>
          <thead>
            <tr>
              <th>{t('common.miner')}</th>
              <th class="num">{t('ops.batch')}</th>
              <th>{t('ops.actions')}</th>
              <th>{t('common.state')}</th>
              <th>{t('history.why')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.items.map((i) => (
              <tr key={i.minerId} data-miner={i.minerId} data-state={i.state}>
                <td>
                  <a href={`#/miners/${encodeURIComponent(i.minerId)}`}>{minerPlace(i)}</a>
                </td>
                <td class="num">{i.batch < 0 ? '—' : i.batch + 1}</td>
                <td>{i.actions.map(actionText).join(', ')}</td>
                <td>{label('itemState', i.state)}</td>
                <td>{i.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** A miner of a preview by the names its row carries (place, asset code, serial). */
function PreviewMiner({ row }: { row: PreviewRow }) {
  return <a href={`#/miners/${encodeURIComponent(row.minerId)}`}>{minerName(row)}</a>;
}

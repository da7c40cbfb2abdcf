import { useState } from 'preact/hooks';
import { Loading, Problem, Section } from '../components/bits.js';
import { Table } from '../components/table.js';
import { when } from '../format.js';
import type { Me } from '../roles.js';
import { post } from '../session.js';
import { usePoll } from '../use-poll.js';

/** Replies of controller/src/commands/bulk.ts (describeJob), operating-profiles/ and curtailment/. */
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

/** Container, rack and slot (and serial when known); the asset id only for a miner not in a slot. */
function minerPlace(i: BulkItem): string {
  const place = i.rack && i.slot ? `${i.containerId ?? ''} ${i.rack}/${i.slot}`.trim() : null;
  const name = place ?? i.minerId;
  return i.serial ? `${name} · ${i.serial}` : name;
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
    .map(([state, n]) => `${state} ${n}`)
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
      setMessage(`${what}: done (refreshes shortly)`);
    } catch (err) {
      setMessage(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const ready = jobs.data && profiles.data && schedules.data;
  return (
    <div class="page" data-testid={ready ? 'operations-ready' : undefined}>
      <h1>Operations</h1>
      <Problem error={jobs.error ?? profiles.error ?? schedules.error} />
      {message && (
        <p class="muted" data-testid="operations-message">
          {message}
        </p>
      )}
      <Section title="Operating profiles">
        {profiles.data ? (
          <ProfileList profiles={profiles.data} act={act} />
        ) : (
          <Loading what="operating profiles" />
        )}
      </Section>
      <Section title="Bulk jobs">
        {jobs.data ? <JobList jobs={jobs.data} me={me} act={act} /> : <Loading what="bulk jobs" />}
      </Section>
      <Section title="Curtailment schedules">
        {schedules.data ? (
          <Table<ScheduleView>
            rows={schedules.data}
            testid="schedules"
            empty="No curtailment schedule."
            columns={[
              { label: 'Schedule', cell: (s) => s.schedule.name },
              { label: 'Site', cell: (s) => s.schedule.siteId },
              {
                label: 'When',
                cell: (s) =>
                  s.schedule.trigger.kind === 'windows'
                    ? windowsText(s.schedule.trigger.windows)
                    : `tariff above ${s.schedule.trigger.abovePerKwh}/kWh`,
              },
              {
                label: 'Does',
                cell: (s) =>
                  s.schedule.action.kind === 'sleep'
                    ? 'sleep'
                    : `power ${s.schedule.action.watts} W (restore ${s.schedule.action.restoreWatts} W)`,
              },
              { label: 'Ramp', cell: (s) => `${s.schedule.stepSize} per ${s.schedule.stepEveryS} s` },
              {
                label: 'Curtailed',
                cell: (s) =>
                  `${s.miners.filter((m) => m.state === 'curtailed').length} of ${s.miners.length}`,
                num: true,
              },
              {
                label: 'From',
                cell: (s) =>
                  s.profile ? `profile ${s.profile} (application ${s.applicationId?.slice(0, 8)})` : '',
              },
              {
                label: '',
                cell: (s) => (
                  <button
                    type="button"
                    onClick={() =>
                      act(`${s.enabled ? 'disable' : 'enable'} ${s.schedule.name}`, () =>
                        post(`/curtailment/${s.id}/${s.enabled ? 'disable' : 'enable'}`, {}),
                      )
                    }
                  >
                    {s.enabled ? 'Disable' : 'Enable'}
                  </button>
                ),
              },
            ]}
          />
        ) : (
          <Loading what="curtailment schedules" />
        )}
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
    act(`preview ${name}`, async () =>
      setPreview(await post<PreviewRow[]>(`/operating-profiles/${name}/preview`, { selector: selector() })),
    );
  const apply = (name: string) =>
    act(`apply ${name}`, async () => {
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
        empty="No operating profile (PUT /operating-profiles/:name creates one)."
        columns={[
          { label: 'Profile', cell: (p) => p.name },
          { label: 'Description', cell: (p) => p.description },
          {
            label: 'Presets',
            cell: (p) =>
              p.presets
                .map(
                  (s) =>
                    `${s.model}: ${s.powerTargetW ? `${s.powerTargetW} W` : (s.powerMode ?? '')}${s.fanMode ? ` fan ${s.fanMode}` : ''}`,
                )
                .join('; '),
          },
          { label: 'Sleeps', cell: (p) => windowsText(p.sleepWindows) || '—' },
          {
            label: '',
            cell: (p) => (
              <button type="button" onClick={() => choose(p.name)}>
                Apply…
              </button>
            ),
          },
        ]}
      />
      {open && (
        <div class="actions-box" data-testid="apply-form">
          <label>
            Apply {open} to{' '}
            <select
              name="target"
              value={target}
              onChange={(e) => {
                setTarget((e.target as HTMLSelectElement).value);
                setPreview(null);
              }}
            >
              <option value="">choose…</option>
              {(containers.data ?? []).map((c) => (
                <option key={c.id} value={`container:${c.id}`}>
                  container {c.id}
                </option>
              ))}
              {(sites.data ?? []).map((s) => (
                <option key={s.id} value={`site:${s.id}`}>
                  site {s.id}
                </option>
              ))}
            </select>
          </label>{' '}
          <label>
            batch{' '}
            <input
              name="batchSize"
              type="number"
              min={1}
              value={batchSize}
              onInput={(e) => setBatchSize(Number((e.target as HTMLInputElement).value))}
            />
          </label>{' '}
          <label>
            pause (s){' '}
            <input
              name="pauseS"
              type="number"
              min={0}
              value={pauseS}
              onInput={(e) => setPauseS(Number((e.target as HTMLInputElement).value))}
            />
          </label>{' '}
          <button type="button" disabled={!target} onClick={() => doPreview(open)}>
            Preview
          </button>
          {preview && (
            <div data-testid="preview">
              <p>
                {preview.length - refused.length} of {preview.length} miners will be changed; {refused.length}{' '}
                refused and sent nothing.
              </p>
              <Table<PreviewRow>
                rows={refused}
                testid="preview-refusals"
                empty="No miner refused."
                columns={[
                  { label: 'Miner', cell: (r) => r.minerId },
                  { label: 'Model', cell: (r) => r.model ?? '' },
                  { label: 'Firmware', cell: (r) => r.firmware ?? '' },
                  { label: 'Refused because', cell: (r) => r.refusal },
                ]}
              />
              <button type="button" disabled={preview.length === refused.length} onClick={() => apply(open)}>
                Confirm apply
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
        empty="No bulk job yet."
        columns={[
          {
            label: 'Job',
            cell: (j) => (
              <button type="button" class="linkish" onClick={() => setOpen(open === j.id ? null : j.id)}>
                {j.kind === 'command' ? j.op : `${j.op} ${j.ref ?? ''}`}
              </button>
            ),
          },
          { label: 'State', cell: (j) => <span data-job-state={j.id}>{j.state}</span> },
          {
            label: 'Progress',
            cell: (j) => <span data-job-progress={j.id}>{progressText(j.progress)}</span>,
          },
          { label: 'Requested', cell: (j) => `${when(j.createdAt)} by ${j.requestedBy}` },
          { label: 'Approved by', cell: (j) => j.approvedBy ?? '' },
          {
            label: '',
            cell: (j) => (
              <>
                {j.state === 'pending_approval' && j.requestedBy !== me.name && (
                  <button
                    type="button"
                    onClick={() => act('approve job', () => post(`/commands/bulk/${j.id}/approve`, {}))}
                  >
                    Approve
                  </button>
                )}
                {(j.state === 'pending_approval' || j.state === 'running') && (
                  <button
                    type="button"
                    onClick={() => act('cancel job', () => post(`/commands/bulk/${j.id}/cancel`, {}))}
                  >
                    Cancel
                  </button>
                )}
                {j.kind === 'profile' && j.state !== 'pending_approval' && (
                  <button
                    type="button"
                    onClick={() =>
                      act(`roll back ${j.ref}`, () =>
                        post(`/operating-profiles/applications/${j.id}/rollback`, {
                          batchSize: 10,
                          pauseS: 60,
                        }),
                      )
                    }
                  >
                    Roll back
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
              <th>Miner</th>
              <th class="num">Batch</th>
              <th>Actions</th>
              <th>State</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {shown.items.map((i) => (
              <tr key={i.minerId} data-miner={i.minerId} data-state={i.state}>
                <td>
                  <a href={`#/miners/${encodeURIComponent(i.minerId)}`} title={i.minerId}>
                    {minerPlace(i)}
                  </a>
                </td>
                <td class="num">{i.batch < 0 ? '—' : i.batch + 1}</td>
                <td>{i.actions.map(actionText).join(', ')}</td>
                <td>{i.state}</td>
                <td>{i.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCommandKeys, verifyCommand } from '@hashfleet/agent/commands/verify';
import { exampleCommand, type UnsignedCommand } from '@hashfleet/contracts';
import {
  listCommandKeys,
  loadCommandKey,
  promoteNextCommandKey,
  stageNextCommandKey,
} from '@hashfleet/controller/commands/keys';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The key rotation of README "Operations", across the two parts: the controller's key files
 * (keys next / keys promote, a restart being a new load) and an agent configured as the doc says
 * (publicKeys as PEM files). No window in which a command is refused; the old key's commands
 * refused once the agent drops it.
 */
const dir = mkdtempSync(join(tmpdir(), 'hashfleet-rotation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let seq = 0;
const command = (): UnsignedCommand => {
  const { signature: _s, ...c } = exampleCommand;
  return { ...c, id: crypto.randomUUID(), seq: ++seq };
};
/** An agent whose config lists these public keys, each a PEM file as an operator ships it. */
function agentTrusting(...pems: string[]) {
  const publicKeys = pems.map((pem, i) => {
    const file = join(dir, `agent-key-${seq}-${i}.pem`);
    writeFileSync(file, pem);
    return { file };
  });
  const keys = loadCommandKeys({ publicKeys });
  return (signed: unknown) =>
    verifyCommand(JSON.stringify(signed), {
      agentId: exampleCommand.agentId,
      publicKeys: keys,
      now: exampleCommand.issuedAt + 1000,
      lastSeq: null,
    });
}

describe('command-key rotation, controller to agent', () => {
  it('next, agents get both, promote and restart, agents drop the old key: never a refused command in between', () => {
    const running = loadCommandKey(dir);
    const old = listCommandKeys(dir).active;
    const onlyOld = agentTrusting(old.publicKeyPem);
    expect(onlyOld(running.sign(command()))).toMatchObject({ ok: true });

    const next = stageNextCommandKey(dir);
    // Staging changes nothing for a running controller or for agents that do not know the key yet.
    expect(onlyOld(running.sign(command()))).toMatchObject({ ok: true });
    const both = agentTrusting(old.publicKeyPem, next.publicKeyPem);
    expect(both(running.sign(command()))).toMatchObject({ ok: true });

    promoteNextCommandKey(dir);
    // Replicas not yet restarted still sign with the old key; restarted ones with the new.
    const restarted = loadCommandKey(dir);
    expect(restarted.keyId).toBe(next.keyId);
    expect(both(running.sign(command()))).toMatchObject({ ok: true });
    expect(both(restarted.sign(command()))).toMatchObject({ ok: true });

    const onlyNew = agentTrusting(next.publicKeyPem);
    expect(onlyNew(restarted.sign(command()))).toMatchObject({ ok: true });
    expect(onlyNew(running.sign(command()))).toMatchObject({ ok: false, refusal: 'bad_signature' });
    // An agent that never got the new key refuses the promoted controller: why step 2 comes first.
    expect(onlyOld(restarted.sign(command()))).toMatchObject({ ok: false, refusal: 'bad_signature' });
  });
});

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, commandSigningBytes, type UnsignedCommand } from '@hashfleet/contracts';

export type CommandKey = {
  keyId: string;
  /** SPKI PEM: what agents are configured with. */
  publicKeyPem: string;
  sign(command: UnsignedCommand): Command;
};

/**
 * The controller's Ed25519 command key: generated on first start into the data dir
 * (`command-key.pem`, mode 600), loaded after that. The key id is derived from the public key.
 */
export function loadCommandKey(dataDir: string): CommandKey {
  const file = join(dataDir, 'command-key.pem');
  let privateKey: KeyObject;
  if (existsSync(file)) {
    privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  } else {
    mkdirSync(dataDir, { recursive: true });
    privateKey = generateKeyPairSync('ed25519').privateKey;
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
  }
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const keyId = `hf-${createHash('sha256').update(der).digest('hex').slice(0, 16)}`;
  return {
    keyId,
    publicKeyPem,
    sign(command) {
      const sig = sign(null, commandSigningBytes(command), privateKey).toString('base64');
      return { ...command, signature: { alg: 'ed25519', keyId, sig } };
    },
  };
}

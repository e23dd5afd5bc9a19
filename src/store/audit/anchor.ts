/**
 * External anchors of the chain heads: a JSON-lines file outside the database where the service
 * writes, after each append and each generation commit, the revision chain head (seq, hash) and
 * the generation chain head (generation, hash), signed with an Ed25519 key from the configuration
 * (audit.anchorKeyFile). Whoever can rewrite the database (even its owner, even a superuser) cannot
 * produce a signature, so history rewritten below an anchored head, or cut back below it, is caught:
 * by `kubereach audit verify --anchor FILE --anchor-key KEY` (the public key suffices) and by the
 * service itself, whose chain guard starts from the latest anchored head. Keep the file where the
 * database's administrators cannot write (another volume, a log shipper, WORM storage).
 *
 * Line format: {"v":1,"cluster","seq","hash","generation"?,"generationHash"?,"at","keyId","sig"},
 * `sig` = base64 Ed25519 signature of the RFC 8785 JSON of the fields before keyId, `keyId` = the
 * first 16 hex digits of SHA-256 of the public key (SPKI DER).
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { BadInputError } from "../../domain/errors.js";
import { canonicalize } from "../../domain/audit/hashChain.js";

export const ANCHOR_VERSION = 1;

export interface AnchorFields {
  readonly cluster: string;
  readonly seq: bigint;
  readonly hash: string;
  readonly generation?: number;
  readonly generationHash?: string;
  readonly at: string;
}

export interface Anchor extends AnchorFields {
  readonly keyId: string;
  readonly line: number;
}

function payload(f: AnchorFields): string {
  return canonicalize({
    v: ANCHOR_VERSION,
    cluster: f.cluster,
    seq: f.seq.toString(),
    hash: f.hash,
    ...(f.generation !== undefined ? { generation: f.generation, generationHash: f.generationHash } : {}),
    at: f.at,
  });
}

export function keyId(publicKey: KeyObject): string {
  return createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex").slice(0, 16);
}

/** An Ed25519 private key from a PEM file; an error naming the file otherwise. */
export function readPrivateKey(file: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file));
  } catch (e) {
    throw new BadInputError(`anchor key ${file}: not a readable PEM private key (${(e as Error).message}); create one with: openssl genpkey -algorithm ed25519 -out ${file}`, { cause: e });
  }
  if (key.asymmetricKeyType !== "ed25519") throw new BadInputError(`anchor key ${file}: an ${key.asymmetricKeyType} key; the anchor needs an Ed25519 key (openssl genpkey -algorithm ed25519)`);
  return key;
}

/** An Ed25519 public key from a PEM file holding the public or the private key. */
export function readPublicKey(file: string): KeyObject {
  const text = readFileSync(file, "utf8");
  try {
    const key = /PRIVATE KEY/.test(text) ? createPublicKey(createPrivateKey(text)) : createPublicKey(text);
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`an ${key.asymmetricKeyType} key, not Ed25519`);
    return key;
  } catch (e) {
    throw new BadInputError(`anchor key ${file}: ${(e as Error).message}`, { cause: e });
  }
}

export function signAnchor(privateKey: KeyObject, f: AnchorFields): string {
  const pub = createPublicKey(privateKey);
  const sig = sign(null, Buffer.from(payload(f), "utf8"), privateKey).toString("base64");
  return JSON.stringify({
    v: ANCHOR_VERSION,
    cluster: f.cluster,
    seq: f.seq.toString(),
    hash: f.hash,
    ...(f.generation !== undefined ? { generation: f.generation, generationHash: f.generationHash } : {}),
    at: f.at,
    keyId: keyId(pub),
    sig,
  });
}

export type AnchorReadResult = { readonly anchors: readonly Anchor[]; readonly problems: readonly string[] };

/** Every well-signed anchor of the file, in order; a line that is not (edited, foreign key, torn) is a problem. */
export function readAnchors(file: string, publicKey: KeyObject): AnchorReadResult {
  if (!existsSync(file)) return { anchors: [], problems: [] };
  const anchors: Anchor[] = [];
  const problems: string[] = [];
  const id = keyId(publicKey);
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((text, i) => {
      if (text.trim() === "") return;
      const line = i + 1;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(text) as Record<string, unknown>;
      } catch {
        problems.push(`line ${line}: not JSON (a torn or edited line)`);
        return;
      }
      if (o["keyId"] !== id) {
        problems.push(`line ${line}: signed with key ${String(o["keyId"])}, not ${id}`);
        return;
      }
      const generation = typeof o["generation"] === "number" ? o["generation"] : undefined;
      if (typeof o["cluster"] !== "string" || typeof o["seq"] !== "string" || !/^\d+$/.test(o["seq"]) || typeof o["hash"] !== "string" || typeof o["at"] !== "string" || typeof o["sig"] !== "string") {
        problems.push(`line ${line}: missing fields`);
        return;
      }
      const f: AnchorFields = {
        cluster: o["cluster"],
        seq: BigInt(o["seq"]),
        hash: o["hash"],
        ...(generation !== undefined ? { generation, generationHash: String(o["generationHash"]) } : {}),
        at: o["at"],
      };
      if (!verify(null, Buffer.from(payload(f), "utf8"), publicKey, Buffer.from(o["sig"], "base64"))) {
        problems.push(`line ${line}: the signature does not match (the line was edited)`);
        return;
      }
      anchors.push({ ...f, keyId: id, line });
    });
  return { anchors, problems };
}

/** The anchor file the service appends to. */
export class AnchorLog {
  private readonly publicKey: KeyObject;

  constructor(
    readonly file: string,
    private readonly privateKey: KeyObject,
  ) {
    this.publicKey = createPublicKey(privateKey);
  }

  /** The latest well-signed anchor of `cluster` (undefined when none). */
  latest(cluster: string): Anchor | undefined {
    const { anchors } = readAnchors(this.file, this.publicKey);
    for (let i = anchors.length - 1; i >= 0; i--) if (anchors[i]!.cluster === cluster) return anchors[i];
    return undefined;
  }

  /** Appends one signed anchor (one write of one line, so a crash tears at most that line). */
  append(f: Omit<AnchorFields, "at">, at = new Date()): void {
    appendFileSync(this.file, `${signAnchor(this.privateKey, { ...f, at: at.toISOString() })}\n`, { mode: 0o640 });
  }
}

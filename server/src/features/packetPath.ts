/**
 * `criuLens/packetPath`: the packet-path diagram for the editor's "Packet path" view, either of
 * a failed FIN linked to a ruleset (from the EPERM line's lens, the rule's lens or hover), or of
 * a packet the user typed, against open rulesets (the CLI's `trace --format svg`). The server
 * computes the model and renders the SVG with the same core as the CLI; the view only shows it.
 */
import { ErrorCodes, ResponseError } from 'vscode-languageserver';
import { finLinkDiagram, packetPathDiagram, type PacketPathDiagram } from '../diagram/packetPath';
import { diagramCss, renderDiagramSvg } from '../diagram/svg';
import type { FinLink } from '../link/finLink';
import type { AnyRulesetInput } from '../netfilter/evaluate/nftWalk';
import { parsePacketSpec, PacketSpecError, type Path } from '../netfilter/evaluate/packet';

export const PACKET_PATH_REQUEST = 'criuLens/packetPath';
export const SHOW_PACKET_PATH_COMMAND = 'criuLens.showPacketPath';

/** A failed FIN of a CRIU log (the link's log and 0-based line) against one of its rulesets. */
export interface LinkTarget {
  log: string;
  line: number;
  ruleset: string;
}

/** A packet the user gave (`criu-lens trace --packet` syntax) through open rulesets. */
export interface PacketTarget {
  rulesets: string[];
  path: Path;
  packet: string;
}

export type PacketPathParams = LinkTarget | PacketTarget;

export interface PacketPathResult {
  /** For the view's tab and heading. */
  title: string;
  diagram: PacketPathDiagram;
  /** The diagram drawn with focusable rules and without its stylesheet (the view styles it under its CSP). */
  svg: string;
  css: string;
}

const PATHS: readonly Path[] = ['local-out', 'input', 'forward'];
const basename = (doc: string) => decodeURIComponent(doc.replace(/^.*[\\/]/, ''));

export function packetPath(params: PacketPathParams, links: readonly FinLink[], rulesetInputs: (uris: readonly string[]) => AnyRulesetInput[]): PacketPathResult {
  if (params && 'log' in params) {
    const { log, line, ruleset } = params;
    if (typeof log !== 'string' || typeof line !== 'number' || typeof ruleset !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'expected { log, line, ruleset }');
    const link = links.find((l) => l.failure.doc === log && l.failure.line === line);
    const verdict = link?.verdicts.find((v) => v.ruleset.doc === ruleset);
    if (!link?.failure.packet || !verdict) throw new ResponseError(ErrorCodes.InvalidParams, `no failed FIN at ${basename(log)}:${line + 1} linked to ${basename(ruleset)} (was a file closed or changed?)`);
    const diagram = finLinkDiagram(link.failure.packet, { ruleset: verdict.ruleset, evaluation: verdict.evaluation });
    return result(`CRIU's FIN (${basename(log)}:${line + 1}) · ${basename(ruleset)}`, diagram);
  }
  const p = params as PacketTarget | undefined;
  if (!p || !Array.isArray(p.rulesets) || typeof p.packet !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'expected { rulesets, path, packet } or { log, line, ruleset }');
  if (!PATHS.includes(p.path)) throw new ResponseError(ErrorCodes.InvalidParams, `unknown path ${p.path} (local-out, input, forward)`);
  const inputs = rulesetInputs(p.rulesets);
  if (!inputs.length) throw new ResponseError(ErrorCodes.InvalidParams, 'none of the rulesets is an open iptables-save or nftables document');
  let packet;
  try {
    packet = parsePacketSpec(p.packet);
  } catch (e) {
    if (e instanceof PacketSpecError) throw new ResponseError(ErrorCodes.InvalidParams, `packet: ${e.message}`);
    throw e;
  }
  const diagram = packetPathDiagram({ inputs, path: p.path, packet });
  return result(`${p.path} · ${inputs.map((i) => basename(i.doc)).join(', ')}`, diagram);
}

function result(title: string, diagram: PacketPathDiagram): PacketPathResult {
  return { title, diagram, svg: renderDiagramSvg(diagram, { interactive: true, omitStyle: true }), css: diagramCss };
}

/** The command (lens or hover link) that opens the view on a linked FIN. */
export function showPacketPathCommand(target: LinkTarget): { title: string; command: string; arguments: [LinkTarget] } {
  return { title: 'Show packet path', command: SHOW_PACKET_PATH_COMMAND, arguments: [target] };
}

/** A Markdown command link for hovers (the client trusts this command in hover Markdown). */
export function packetPathLink(target: LinkTarget): string {
  return `[Show the packet's path](command:${SHOW_PACKET_PATH_COMMAND}?${encodeURIComponent(JSON.stringify([target]))} "Open the packet-path diagram")`;
}

/**
 * The "Packet path" view: a webview showing the diagram the server computes
 * (`criuLens/packetPath`). Opened by `criuLens.showPacketPath` from the EPERM line's and the
 * rule's lenses and hovers (with the link's target), or from the palette on open rulesets with
 * a packet the user types (the syntax of `criu-lens trace --packet`). A rule clicked or chosen
 * with Enter in the view is revealed in its file.
 */
import { randomBytes } from 'node:crypto';
import { commands, Uri, ViewColumn, window, workspace, type Disposable, type ExtensionContext, type TextDocument, type WebviewPanel } from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { packetPathHtml, standaloneSvg, type PacketPathMessage, type PacketPathResult } from './packetPathHtml';

export const SHOW_PACKET_PATH = 'criuLens.showPacketPath';
const REQUEST = 'criuLens/packetPath';

type Range = { start: { line: number; character: number }; end: { line: number; character: number } };
type Reveal = (uri: string, range: Range, column?: ViewColumn) => Promise<void>;
interface LinkTarget {
  log: string;
  line: number;
  ruleset: string;
}

const PATHS = [
  { label: 'local-out', description: 'sent by a local process (CRIU’s FIN): OUTPUT, then POSTROUTING' },
  { label: 'input', description: 'to a local socket: PREROUTING, then INPUT' },
  { label: 'forward', description: 'routed through: PREROUTING, FORWARD, POSTROUTING' },
];

export class PacketPathView implements Disposable {
  private panel: WebviewPanel | undefined;
  private current: PacketPathResult | undefined;
  private lastPacket = 'family=ipv4 proto=tcp flags=FIN,ACK mark=0xc114 oif=lo';
  private lastPath = 'local-out';

  constructor(
    private readonly client: () => LanguageClient | undefined,
    private readonly reveal: Reveal,
  ) {}

  /** The command: a link target from a lens or hover, or nothing (ask for rulesets and a packet). */
  async show(target?: unknown): Promise<void> {
    if (isLinkTarget(target)) {
      await this.request(target);
      return;
    }
    const rulesets = await pickRulesets();
    if (!rulesets) return;
    const path = await window.showQuickPick(PATHS, { title: 'Packet path: which path through netfilter?', placeHolder: this.lastPath });
    if (!path) return;
    this.lastPath = path.label;
    for (;;) {
      const packet = await window.showInputBox({
        title: 'Packet path: the packet (omitted fields are unknown)',
        prompt: 'family proto src sport dst dport flags mark ctmark iif oif ct, as key=value',
        placeHolder: 'family=ipv4 proto=tcp src=10.96.0.42 sport=5432 dst=192.168.10.21 dport=43512 flags=FIN,ACK mark=0xc114 oif=lo ct=invalid',
        value: this.lastPacket,
        ignoreFocusOut: true,
      });
      if (packet === undefined) return;
      this.lastPacket = packet;
      const error = await this.request({ rulesets: rulesets.map((d) => d.uri.toString()), path: path.label, packet });
      // A packet the server cannot read: say why and ask again with what was typed.
      if (!error || !/^packet: /.test(error)) return;
    }
  }

  /** Asks the server and shows the answer; returns the error message when it refused. */
  private async request(params: object): Promise<string | undefined> {
    const client = this.client();
    if (!client) return 'the language server is not running';
    let result: PacketPathResult;
    try {
      result = await client.sendRequest<PacketPathResult>(REQUEST, params);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      void window.showErrorMessage(`Packet path: ${message}`);
      return message;
    }
    this.render(result);
    return undefined;
  }

  private render(result: PacketPathResult): void {
    this.current = result;
    if (!this.panel) {
      this.panel = window.createWebviewPanel('criuLens.packetPath', 'Packet path', { viewColumn: ViewColumn.Beside, preserveFocus: false }, { enableScripts: true, localResourceRoots: [], enableFindWidget: true });
      this.panel.onDidDispose(() => {
        this.panel = undefined;
        this.current = undefined;
      });
      this.panel.webview.onDidReceiveMessage((m: PacketPathMessage) => void this.onMessage(m));
    } else this.panel.reveal(undefined, false);
    const nonce = randomBytes(18).toString('base64');
    this.panel.webview.html = packetPathHtml({ result, nonce, cspSource: this.panel.webview.cspSource });
  }

  /** Only ids of the diagram shown are honoured: the page never names a file itself. */
  private async onMessage(m: PacketPathMessage): Promise<void> {
    const current = this.current;
    if (!current || typeof m !== 'object' || m === null) return;
    if (m.type === 'reveal' && typeof m.id === 'string') {
      const step = current.diagram.hooks.flatMap((h) => h.stages.flatMap((s) => s.visits.flatMap((v) => v.steps))).find((s) => s.id === m.id);
      if (step) await this.reveal(step.source.doc, step.source.range, ViewColumn.One);
    } else if (m.type === 'save') {
      const folder = workspace.workspaceFolders?.[0]?.uri;
      const uri = await window.showSaveDialog({ title: 'Save the packet path as SVG', filters: { 'SVG image': ['svg'] }, ...(folder ? { defaultUri: Uri.joinPath(folder, 'packet-path.svg') } : {}) });
      if (uri) await workspace.fs.writeFile(uri, Buffer.from(standaloneSvg(current), 'utf8'));
    }
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

function isLinkTarget(x: unknown): x is LinkTarget {
  const t = x as LinkTarget | undefined;
  return typeof t === 'object' && t !== null && typeof t.log === 'string' && typeof t.line === 'number' && typeof t.ruleset === 'string';
}

/** The active ruleset, else the one open ruleset, else the user's choice among the open ones. */
async function pickRulesets(): Promise<TextDocument[] | undefined> {
  const active = window.activeTextEditor?.document;
  if (active?.languageId === 'iptables-save') return [active];
  const open = workspace.textDocuments.filter((d) => d.languageId === 'iptables-save');
  if (open.length === 1) return open;
  if (!open.length) {
    void window.showErrorMessage('Packet path: open an iptables-save ruleset first (e.g. the output of iptables-save), then run the command from it.');
    return undefined;
  }
  const picked = await window.showQuickPick(
    open.map((d) => ({ label: workspace.asRelativePath(d.uri), document: d })),
    { title: 'Packet path: through which rulesets?', canPickMany: true },
  );
  return picked?.length ? picked.map((p) => p.document) : undefined;
}

export function registerPacketPath(context: ExtensionContext, client: () => LanguageClient | undefined, reveal: Reveal): void {
  const view = new PacketPathView(client, reveal);
  context.subscriptions.push(view, commands.registerCommand(SHOW_PACKET_PATH, (target?: unknown) => view.show(target)));
}

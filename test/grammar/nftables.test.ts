// Token tests for syntaxes/nftables.tmLanguage.json. Lines are modelled on `nft list ruleset`
// output and `nft -f` scripts (written for these tests); the last test runs over the corpus.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { corpusRoot, expectLine, forEachTokenizedLine, splitLines, type Expectation } from './tokenize';
import { corpusAvailable, corpusMissingReason, filesUnder } from '../support/paths';

const NFT = 'source.nftables';
const line = (text: string, expected: readonly Expectation[], forbidden: readonly Expectation[] = []) => expectLine(NFT, text, expected, forbidden);

const TABLE = 'entity.name.section.table.nftables';
const FAMILY = 'support.type.family.nftables';
const CHAIN = 'entity.name.function.chain.nftables';
const SET = 'entity.name.type.set.nftables';
const VERDICT = 'keyword.control.verdict.nftables';
const JUMP = 'keyword.control.jump.nftables';
const PROTOCOL = 'support.type.protocol.nftables';
const FIELD = 'variable.language.field.nftables';
const HEX = 'constant.numeric.hex.nftables';
const IPV4 = 'constant.numeric.address.ipv4.nftables';
const IPV6 = 'constant.numeric.address.ipv6.nftables';
const STATEMENT = 'support.function.statement.nftables';
const COMMENT = 'comment.line.number-sign.nftables';
const STRING = 'string.quoted.double.nftables';

describe('nftables grammar', () => {
  test('table, chain, set and object declarations', async () => {
    await line('table inet CRIU-9089d220-6697-4738-ae {', [['table', 'storage.type.table.nftables'], ['inet', FAMILY], ['CRIU-9089d220-6697-4738-ae', TABLE]]);
    await line('table ip filter {', [['ip', FAMILY], ['filter', TABLE]]);
    await line('\tchain KUBE-FIREWALL {', [['chain', 'storage.type.chain.nftables'], ['KUBE-FIREWALL', CHAIN]]);
    await line('\tset conns4 {', [['set', 'storage.type.set.nftables'], ['conns4', SET]]);
    await line('\tct helper ftp-standard {', [['ct helper', 'storage.type.object.nftables'], ['ftp-standard', 'entity.name.type.object.nftables']]);
  });

  test('base chain spec: type, hook, priority names and expressions, policy', async () => {
    await line('\t\ttype filter hook output priority filter; policy accept;', [
      ['type', 'keyword.other.type.nftables'], ['filter', 'support.type.chain-type.nftables'], ['output', 'constant.language.hook.nftables'],
      ['priority', 'keyword.other.priority.nftables'], ['filter', 'constant.language.priority.nftables', 2], ['accept', 'keyword.control.verdict.policy.nftables'],
    ]);
    await line('\t\ttype filter hook prerouting priority raw - 10; policy drop;', [['raw', 'constant.language.priority.nftables'], ['-', 'keyword.operator.arithmetic.nftables'], ['10', 'constant.numeric.priority.nftables'], ['drop', 'keyword.control.verdict.policy.nftables']]);
    await line('\t\ttype nat hook postrouting priority -100;', [['nat', 'support.type.chain-type.nftables'], ['-100', 'constant.numeric.priority.nftables']]);
  });

  test('rules: selectors, marks, masks, verdicts, jumps, counters', async () => {
    await line('\t\tmeta mark & 0x00008000 == 0x00008000 counter packets 0 bytes 0 drop', [
      ['meta', PROTOCOL], ['mark', FIELD], ['&', 'keyword.operator.nftables'], ['0x00008000', HEX], ['==', 'keyword.operator.nftables'], ['counter', STATEMENT], ['drop', VERDICT],
    ]);
    await line('\t\tmeta mark 0x0000c114 accept', [['0x0000c114', HEX], ['accept', VERDICT]]);
    await line('\t\tip saddr 10.96.0.42 ip daddr != 127.0.0.0/8 tcp dport 5432 jump KUBE-FIREWALL', [
      ['ip', PROTOCOL], ['saddr', FIELD], ['10.96.0.42', IPV4], ['127.0.0.0/8', IPV4], ['tcp', PROTOCOL], ['dport', FIELD], ['jump', JUMP], ['KUBE-FIREWALL', CHAIN],
    ]);
    await line('\t\tip6 saddr fe80::1 iifname "eth0" goto other', [['fe80::1', IPV6], ['iifname', FIELD], ['"eth0"', STRING], ['goto', JUMP], ['other', CHAIN]]);
    await line('\t\tip saddr . tcp sport . ip daddr . tcp dport @conns4 drop', [['@conns4', 'variable.other.set.nftables'], ['.', 'keyword.operator.concatenation.nftables']]);
    await line('\t\tct state established,related accept', [['ct', PROTOCOL], ['state', FIELD]]);
    await line('\t\ttcp dport vmap { 22 : accept, 80 : drop }', [['vmap', 'keyword.operator.map.nftables'], ['22', 'constant.numeric.decimal.nftables']]);
    await line('\t\tmeta nftrace set 1', [['nftrace', FIELD], ['set', 'keyword.operator.assignment.nftables']]);
  });

  test('sets, scripts, comments and iptables-nft warnings', async () => {
    await line('\t\ttype ipv4_addr . inet_service : verdict', [['type', 'keyword.other.property.nftables'], ['ipv4_addr', 'support.type.datatype.nftables'], ['verdict', 'support.type.datatype.nftables']]);
    await line('\t\telements = { 127.0.0.1 . 46168 . 127.0.0.1 . 8766,', [['elements', 'keyword.other.property.nftables'], ['127.0.0.1', IPV4]]);
    await line('define lan = 192.168.0.0/16', [['define', 'keyword.other.define.nftables'], ['lan', 'variable.other.define.nftables'], ['192.168.0.0/16', IPV4]]);
    await line('include "/etc/nftables.d/*.nft"', [['include', 'keyword.control.import.nftables'], ['"/etc/nftables.d/*.nft"', STRING]]);
    await line('add rule ip filter OUTPUT meta mark 0xc114 accept', [['add', 'keyword.other.command.nftables'], ['filter', TABLE], ['OUTPUT', CHAIN], ['0xc114', HEX]]);
    await line('# Warning: table ip filter is managed by iptables-nft, do not touch!', [['# Warning', COMMENT], ['managed by iptables-nft', 'markup.warning.iptables-nft.nftables']]);
    await line('\t\ttcp dport 22 accept # ssh', [['# ssh', COMMENT]], [['ssh', FIELD]]);
  });

  test('every corpus ruleset tokenizes in time; tables, chains and verdicts get their scopes', { skip: !corpusAvailable && corpusMissingReason }, async () => {
    const files = filesUnder(corpusRoot, /(nftables\/.*\.nft|criu-real\/.*nft-ruleset[^/]*\.txt)$/);
    assert.ok(files.length >= 13, `found ${files.length}`);
    const failures: string[] = [];
    let tables = 0;
    let verdicts = 0;
    for (const file of files) {
      await forEachTokenizedLine(NFT, splitLines(readFileSync(file, 'utf8')), ({ line: text, tokens, stoppedEarly }, i) => {
        const fail = (what: string) => failures.length < 20 && failures.push(`${file}:${i + 1}: ${what}: ${JSON.stringify(text)}`);
        const scopesAt = (offset: number) => tokens.find((tk) => tk.startIndex <= offset && offset < tk.endIndex)?.scopes ?? [];
        if (stoppedEarly) fail('tokenization stopped early');
        const t = /^table (\S+) (\S+) \{/.exec(text);
        if (t) {
          tables++;
          if (!scopesAt(text.indexOf(t[2], 6 + t[1].length)).includes(TABLE)) fail('table name not scoped');
        }
        const c = /^\s*chain (\S+) \{/.exec(text);
        if (c && !scopesAt(text.indexOf(c[1], text.indexOf('chain') + 5)).includes(CHAIN)) fail('chain name not scoped');
        const v = /\b(accept|drop)$/.exec(text);
        if (v && !/policy/.test(text) && !/"/.test(text)) {
          verdicts++;
          if (!scopesAt(v.index).includes(VERDICT)) fail('verdict not scoped');
        }
      }, 2000);
    }
    assert.deepEqual(failures, [], failures.join('\n'));
    assert.ok(tables >= 40 && verdicts >= 50, `tables=${tables} verdicts=${verdicts}`);
  });
});

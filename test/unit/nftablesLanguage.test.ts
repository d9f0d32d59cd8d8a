import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectLanguage } from '../../server/src/core/language';
import { buildModel, modelFindings } from '../../server/src/analysis';
import { nftSymbols } from '../../server/src/features/nftNavigation';

test('nft scripts and iptables-nft listings are detected as nftables, whatever their name', () => {
  assert.equal(detectLanguage('firewall.sh', '#!/usr/sbin/nft -f\nflush ruleset\n'), 'nftables');
  assert.equal(detectLanguage('lock.txt', 'add table inet CRIU-1\nadd chain inet CRIU-1 output { type filter hook output priority 0; }\nadd rule inet CRIU-1 output meta mark 0xC114 accept\n'), 'nftables');
  assert.equal(detectLanguage('node.rules', '# Warning: table ip filter is managed by iptables-nft, do not touch!\ntable ip filter {\n\tchain OUTPUT {\n'), 'nftables');
  assert.equal(detectLanguage('node.rules', '*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -j KUBE-FIREWALL\nCOMMIT\n'), 'iptables-save');
});

test('the analysis builds an nft model, its findings, and an outline with defines, tables, chains and sets', () => {
  const text = 'define lan = 10.0.0.0/8\ntable inet t {\n\tset s {\n\t\ttype ipv4_addr\n\t}\n\tchain c {\n\t\ttype filter hook input priority 0;\n\t\tip saddr $lan ip saddr @s jump nowhere\n\t}\n}\n';
  const model = buildModel({ doc: 'x.nft', language: 'nftables', text });
  assert.equal(model.language, 'nftables');
  const findings = modelFindings('x.nft', model);
  assert.deepEqual(findings.map((f) => `${f.code}@${f.range.start.line}:${f.range.start.character}`), ['nftables.undefined-chain@7:33']);
  assert.ok(model.language === 'nftables');
  const symbols = nftSymbols(model.nft);
  assert.deepEqual(symbols.map((s) => s.name), ['$lan', 'table inet t']);
  assert.deepEqual(symbols[1].children?.map((c) => c.name), ['c', '@s']);
});

test('folding: tables, chains, sets over several lines and rules with anonymous chains', async () => {
  const { nftFolding } = await import('../../server/src/features/nftNavigation');
  const { parseNftables } = await import('../../server/src/netfilter/nftables/build');
  const text = 'table inet x {\n\tset s {\n\t\ttype ipv4_addr\n\t}\n\tchain y {\n\t\ttype filter hook input priority filter; policy accept;\n\t\tmeta l4proto udp jump {\n\t\t\tcounter accept\n\t\t}\n\t}\n}\n';
  const folds = nftFolding(parseNftables(text)).map((f) => `${f.startLine}-${f.endLine}`).sort();
  assert.deepEqual(folds, ['0-10', '1-3', '4-9', '6-8']);
});

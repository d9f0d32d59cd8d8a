-- CRIU & Netfilter Lens in Neovim (0.7 or later), with no plugins: CRIU logs and iptables-save dumps
-- get the language server `node dist/server.js --stdio`. Set CRIU_LENS_SERVER to dist/server.js, or edit
-- the path below. One client serves every such buffer, so the log and the ruleset are seen together.
local server = os.getenv('CRIU_LENS_SERVER') or vim.fn.expand('~/criu-netfilter-lens/dist/server.js')

local function set_filetype(patterns, filetype)
  -- `set filetype=` (not `setfiletype`): Neovim already calls *.rules udev or polkit rules.
  vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, { pattern = patterns, command = 'set filetype=' .. filetype })
end
set_filetype({ '*criu*.log', 'dump*.log', 'restore*.log', 'pre-dump*.log', 'predump*.log' }, 'criu-log')
set_filetype({ '*.rules', '*.iptables', '*.ip6tables', 'iptables-save*', 'ip6tables-save*', 'rules.v4', 'rules.v6' }, 'iptables-save')

local client_id
vim.api.nvim_create_autocmd('FileType', {
  pattern = { 'criu-log', 'iptables-save' },
  callback = function(args)
    if not client_id or vim.lsp.get_client_by_id(client_id) == nil then
      client_id = vim.lsp.start_client({
        name = 'criu-lens',
        cmd = { 'node', server, '--stdio' },
        -- The server also reads the folder's other logs and rulesets that are not open.
        root_dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(args.buf), ':p:h'),
      })
    end
    vim.lsp.buf_attach_client(args.buf, client_id)
  end,
})

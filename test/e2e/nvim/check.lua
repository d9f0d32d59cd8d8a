-- Test driver for test/e2e/neovim.test.ts (after criu-lens.lua): opens the ruleset and the restore log,
-- waits for the server's diagnostics, asks for the definition at the EPERM line, and writes all of it
-- as JSON to $CRIU_LENS_OUT. Exits non-zero with the reason in that file when something is missing.
local out = assert(os.getenv('CRIU_LENS_OUT'), 'CRIU_LENS_OUT not set')
local ruleset_path = assert(os.getenv('CRIU_LENS_RULESET'))
local log_path = assert(os.getenv('CRIU_LENS_LOG'))
local eperm_line = tonumber(assert(os.getenv('CRIU_LENS_EPERM_LINE'))) -- 0-based

local function write(result)
  local f = assert(io.open(out, 'w'))
  f:write(vim.json.encode(result))
  f:close()
end

local function finish(result, code)
  write(result)
  vim.cmd((code == 0) and 'qall!' or 'cquit! ' .. code)
end

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(ruleset_path))
  local ruleset = vim.api.nvim_get_current_buf()
  vim.cmd('edit ' .. vim.fn.fnameescape(log_path))
  local log = vim.api.nvim_get_current_buf()
  local result = { filetypes = { log = vim.bo[log].filetype, ruleset = vim.bo[ruleset].filetype } }

  -- The root cause arrives first; its link to the rule once the server has read the ruleset.
  local function linked()
    for _, d in ipairs(vim.diagnostic.get(log)) do
      local lsp = d.user_data and d.user_data.lsp or {}
      if lsp.code == 'criu.soccr-fin-eperm' and lsp.relatedInformation then
        for _, r in ipairs(lsp.relatedInformation) do
          if r.location.uri:match('iptables%.rules$') then return true end
        end
      end
    end
    return false
  end
  result.waited_ms = 0
  local t0 = vim.loop.hrtime()
  vim.wait(30000, linked, 50)
  result.waited_ms = math.floor((vim.loop.hrtime() - t0) / 1e6)

  local params = {
    textDocument = { uri = vim.uri_from_bufnr(log) },
    position = { line = eperm_line, character = 20 },
  }
  local responses, request_err = vim.lsp.buf_request_sync(log, 'textDocument/definition', params, 10000)
  local definition = {}
  for _, response in pairs(responses or {}) do
    for _, location in ipairs(response.result or {}) do table.insert(definition, location) end
    if response.result and response.result.uri then table.insert(definition, response.result) end
  end
  result.definition = definition
  result.definition_error = request_err
  result.diagnostics = { log = vim.diagnostic.get(log), ruleset = vim.diagnostic.get(ruleset) }
  result.clients = #vim.lsp.get_active_clients()
  finish(result, 0)
end)
if not ok then finish({ error = tostring(err) }, 3) end

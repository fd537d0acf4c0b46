/// The Lua that gives a Prosody configuration the environment Prosody 0.12 gives it (`core/configmanager.lua`,
/// its built-in parser), run by `LuaSandbox` before the configuration.
///
/// Each file runs in its own environment table, starting in the global section (`"*"`), as in Prosody:
/// - an assignment to a global is an option of the current section, recorded with the chunk and line it ran at;
/// - `VirtualHost "h"` (and `Host`, `host`) and `Component "h" "module"` (and `component`) open a section; both
///   also take a table of options (`VirtualHost "h" { … }`), which returns to the global section;
/// - `Include "path"` (and `include`) runs another file, relative to the including file's folder; a `*` or `?`
///   in the last path component includes every matching file, dot files excepted (sorted here; Prosody takes
///   the directory's order);
/// - `RunScript "path"` runs a file with the globals as its environment (Prosody's `dofile`), in the sandbox;
/// - reading a global that is not set gives `ENV_NAME` → `os.getenv("NAME")`, else the sandbox's global of that
///   name (Prosody's `_G`): a configuration cannot read back the options it set. Prosody 0.12 has no
///   `FileContents`, `FileLine`, `FileLines`, `Credential` or `Lua` (they came with 13.0), so neither has Parley.
///
/// The globals are the base, string, table, math and utf8 libraries without dofile, loadfile, collectgarbage,
/// print (silent here) and string.dump; `load` reads text only; `os` is `os.getenv` alone; `setmetatable` refuses a
/// `__gc` metamethod (Lua runs finalizers with hooks off, so the instruction limit would not hold there). The functions the
/// C side hands over (reading files, listing folders, the running line) stay in this script's locals.
enum ProsodyEnvironmentScript {
    static let maximumFiles = 256

    static let text = """
        local primitives = ...
        local readfile, listdir, getenv, where, setcurrent, files =
            primitives.readfile, primitives.listdir, primitives.getenv, primitives.where,
            primitives.setcurrent, primitives.files
        local G = _G
        local raw_load, rawget, rawset, setmetatable, type, error, pairs, select, tostring =
            load, rawget, rawset, setmetatable, type, error, pairs, select, tostring
        local format, sub, find, gsub, lower, match =
            string.format, string.sub, string.find, string.gsub, string.lower, string.match
        local sort = table.sort
        local maximum_files = \(Self.maximumFiles)

        G.load = function (chunk, name, _, ...)
            if select("#", ...) > 0 then return raw_load(chunk, name, "t", (...)) end
            return raw_load(chunk, name, "t")
        end
        G.os = { getenv = getenv }
        G.print = function () end
        G.setmetatable = function (value, metatable)
            if type(metatable) == "table" and rawget(metatable, "__gc") ~= nil then
                error("__gc metamethods are not allowed here: Lua runs them without the instruction limit", 2)
            end
            return setmetatable(value, metatable)
        end

        local texts, events, event_count, file_count, current = {}, {}, 0, 0, 0
        local kinds = {}

        local function record(event)
            event_count = event_count + 1
            events[event_count] = event
        end

        local function here()
            local chunk, line = where()
            return chunk or 0, line or 0
        end

        local function resolve(folder, path)
            folder = gsub(folder, "/+$", "")
            path = gsub(path, "^%./+", "")
            if sub(path, 1, 1) == "/" then return path end
            return folder .. "/" .. path
        end

        local function folder_of(path)
            return match(path, "^(.*)/[^/]*$") or "."
        end

        local function declare(kind, name, label)
            if type(name) ~= "string" then
                error(format("%s needs the host's name, as a string", label), 3)
            end
            name = lower(name)
            local chunk, line = here()
            local first = kinds[name]
            if first and first.kind ~= kind then
                error(format("%s is declared again as another kind of section (first at %s:%d)",
                    name, tostring(files[first.chunk]), first.line), 3)
            end
            if not first then kinds[name] = { kind = kind, chunk = chunk, line = line } end
            record({ kind, name, chunk, line })
            return name
        end

        local function record_options(host, options, label)
            if type(options) ~= "table" then
                error(format("%s expects a table of options here, not a %s", label, type(options)), 3)
            end
            local chunk, line = here()
            local names = {}
            for name in pairs(options) do
                if type(name) ~= "string" then error("the names of options are strings", 3) end
                names[#names + 1] = name
            end
            sort(names)
            for i = 1, #names do
                record({ "option", host, names[i], chunk, line, "table", options[names[i]] })
            end
        end

        local run_file

        local function next_chunk(path, text, level)
            if file_count >= maximum_files then
                error(format("more than %d files included (an Include loop?)", maximum_files), level)
            end
            file_count = file_count + 1
            files[file_count] = path
            texts[file_count] = text
            return file_count
        end

        local function include_file(path)
            local text, reason = readfile(path)
            if not text then error(format("cannot read the included file %s: %s", path, reason), 3) end
            run_file(path, folder_of(path), text, 5)
        end

        local function new_environment(folder)
            local env = {}
            local function VirtualHost(name)
                local host = declare("host", name, "VirtualHost")
                rawset(env, "__currenthost", host)
                return function (options)
                    rawset(env, "__currenthost", "*")
                    if type(options) == "string" then
                        error(format("VirtualHost takes no module name (%q given for %s); a Component does",
                            options, host), 2)
                    end
                    record_options(host, options, "VirtualHost")
                end
            end
            local function Component(name)
                local host = declare("component", name, "Component")
                rawset(env, "__currenthost", host)
                local function options(values)
                    rawset(env, "__currenthost", "*")
                    record_options(host, values, "Component")
                end
                return function (module)
                    if type(module) == "string" then
                        local chunk, line = here()
                        record({ "module", host, module, chunk, line })
                        return options
                    end
                    options(module)
                end
            end
            local function Include(path)
                if type(path) ~= "string" then error("Include needs a file name or pattern, as a string", 2) end
                if not find(path, "[*?]") then
                    include_file(resolve(folder, path))
                    return
                end
                local start = match(path, "()[^/]+$") or 1
                local base = sub(path, 1, start - 2)
                base = base == "" and folder or resolve(folder, base)
                local pattern = "^" .. gsub(sub(path, start), "%p", function (c)
                    if c == "*" then return ".*" elseif c == "?" then return "." end
                    return "%" .. c
                end) .. "$"
                local names, reason = listdir(base)
                if not names then error(format("cannot list %s for Include %q: %s", base, path, reason), 2) end
                sort(names)
                for i = 1, #names do
                    local name = names[i]
                    if sub(name, 1, 1) ~= "." and find(name, pattern) then include_file(base .. "/" .. name) end
                end
            end
            local function RunScript(path)
                if type(path) ~= "string" then error("RunScript needs a file name, as a string", 2) end
                path = resolve(folder, path)
                local text, reason = readfile(path)
                if not text then error(format("cannot read the script %s: %s", path, reason), 2) end
                local chunk = next_chunk(path, text, 3)
                local code, problem = raw_load(text, "=#" .. chunk, "t", G)
                if not code then error(problem, 0) end
                return code()
            end
            rawset(env, "VirtualHost", VirtualHost)
            rawset(env, "Host", VirtualHost)
            rawset(env, "host", VirtualHost)
            rawset(env, "Component", Component)
            rawset(env, "component", Component)
            rawset(env, "Include", Include)
            rawset(env, "include", Include)
            rawset(env, "RunScript", RunScript)
            rawset(env, "__currenthost", "*")
            return setmetatable(env, {
                __index = function (_, name)
                    if type(name) == "string" and sub(name, 1, 4) == "ENV_" then return getenv(sub(name, 5)) end
                    return rawget(G, name)
                end,
                __newindex = function (_, name, value)
                    if type(name) ~= "string" then error("the names of options are strings", 2) end
                    local chunk, line = here()
                    record({ "option", rawget(env, "__currenthost") or "*", name, chunk, line, "assign", value })
                end,
                __metatable = false,
            })
        end

        run_file = function (path, folder, text, level)
            local chunk = next_chunk(path, text, level)
            local code, problem = raw_load(text, "=#" .. chunk, "t", new_environment(folder))
            if not code then error(problem, 0) end
            local previous = current
            current = chunk
            setcurrent(chunk)
            code()
            current = previous
            setcurrent(previous)
        end

        return function (path, folder, text)
            run_file(path, folder, text, 2)
            return files, texts, events
        end
        """
}

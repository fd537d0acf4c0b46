#ifndef PARLEY_CLUA_SHIM_H
#define PARLEY_CLUA_SHIM_H
// Debian's Lua 5.4 (liblua5.4-dev) and the C side of Parley's Lua sandbox (ParleyServer/Migration/Lua).
//
// Everything that can raise a Lua error (which unwinds with longjmp) is C: the allocator with its memory cap,
// the instruction-count hook, the message handler and the few functions the sandbox's own Lua code is given.
// Swift only starts protected calls and reads the results with functions that never raise.
#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/// The instructions run between two calls of the count hook.
#define CLUA_HOOK_INTERVAL 1000

/// The largest file `CLua_readFile` reads; Prosody's configurations are a few kilobytes.
#define CLUA_MAXIMUM_FILE_BYTES (4 * 1024 * 1024)

/// One state's limits and what it used, the allocator's `ud`.
typedef struct {
    size_t used;
    size_t memoryLimit;
    long long instructions;
    long long instructionLimit;
    int memoryExceeded;
    int instructionsExceeded;
    /// The chunk (`=#N`) being run, set by the sandbox's Lua through `setcurrent`; names the file of a memory error.
    long long currentChunk;
    /// The registry reference of the sandbox's table of files (chunk number -> path), read after an error.
    int filesReference;
} CLua_Budget;

/// A string handed from Swift to a protected call without copying it into Lua outside protection.
typedef struct {
    const char *bytes;
    size_t count;
} CLua_Text;

/// lua_Alloc with a cap: growing past `memoryLimit` fails (Lua raises "not enough memory"); shrinking never does.
static inline void *CLua_allocate(void *ud, void *ptr, size_t osize, size_t nsize) {
    CLua_Budget *budget = (CLua_Budget *)ud;
    size_t old = ptr != NULL ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        budget->used -= old <= budget->used ? old : budget->used;
        return NULL;
    }
    if (nsize > old) {
        size_t growth = nsize - old;
        if (budget->used > budget->memoryLimit || growth > budget->memoryLimit - budget->used) {
            budget->memoryExceeded = 1;
            return NULL;
        }
    }
    void *block = realloc(ptr, nsize);
    if (block == NULL) return NULL;
    budget->used = budget->used - (old <= budget->used ? old : budget->used) + nsize;
    return block;
}

static inline CLua_Budget *CLua_budget(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (CLua_Budget *)ud;
}

/// The count hook: stops a run past its instruction limit with the chunk and line it was at. Once past, it
/// fires at every instruction, so a configuration that catches the error with pcall cannot go on.
static inline void CLua_countHook(lua_State *L, lua_Debug *ar) {
    CLua_Budget *budget = CLua_budget(L);
    budget->instructions += CLUA_HOOK_INTERVAL;
    if (budget->instructions <= budget->instructionLimit) return;
    if (!budget->instructionsExceeded) {
        budget->instructionsExceeded = 1;
        lua_sethook(L, CLua_countHook, LUA_MASKCOUNT, 1);
    }
    lua_getinfo(L, "Sl", ar);
    lua_pushfstring(L, "%s:%d: stopped after %d million Lua instructions (a loop that never ends?)",
                    ar->short_src, ar->currentline, (int)(budget->instructionLimit / 1000000));
    lua_error(L);
}

/// A new state with the allocator and the count hook, or NULL. No library is opened yet.
static inline lua_State *CLua_open(size_t memoryLimit, long long instructionLimit) {
    CLua_Budget *budget = (CLua_Budget *)calloc(1, sizeof(CLua_Budget));
    if (budget == NULL) return NULL;
    budget->memoryLimit = memoryLimit;
    budget->instructionLimit = instructionLimit;
    lua_State *L = lua_newstate(CLua_allocate, budget);
    if (L == NULL) {
        free(budget);
        return NULL;
    }
    lua_sethook(L, CLua_countHook, LUA_MASKCOUNT, CLUA_HOOK_INTERVAL);
    return L;
}

static inline void CLua_close(lua_State *L) {
    CLua_Budget *budget = CLua_budget(L);
    lua_close(L);
    free(budget);
}

/// Lifts the limits once the run is over, while Swift reads the results (reading runs no Lua code).
static inline void CLua_liftLimits(lua_State *L) {
    lua_sethook(L, NULL, 0, 0);
    CLua_budget(L)->memoryLimit = SIZE_MAX;
}

static inline int CLua_memoryExceeded(lua_State *L) { return CLua_budget(L)->memoryExceeded; }
static inline long long CLua_currentChunk(lua_State *L) { return CLua_budget(L)->currentChunk; }

/// True for the source of a chunk read from a file (`=#N`, see LuaSandbox).
static inline int CLua_isFileChunk(const char *source) {
    return source != NULL && source[0] == '=' && source[1] == '#';
}

/// The message handler: an error that does not start with a file chunk's position (`#N:line:`) gets the position
/// of the innermost file chunk on the stack; an error that is not a string is described, its metamethods not run.
static inline int CLua_messageHandler(lua_State *L) {
    const char *message = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : NULL;
    if (message != NULL && message[0] == '#') return 1;
    lua_Debug ar;
    for (int level = 0; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || !CLua_isFileChunk(ar.source) || ar.currentline <= 0) continue;
        if (message != NULL) {
            lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, message);
        } else {
            lua_pushfstring(L, "%s:%d: an error that is a %s value", ar.short_src, ar.currentline,
                            luaL_typename(L, 1));
        }
        return 1;
    }
    if (message == NULL) lua_pushfstring(L, "an error that is a %s value", luaL_typename(L, 1));
    return 1;
}

// MARK: - What the sandbox's own Lua code is given (never the configuration)

/// readfile(path) -> text | nil, reason: a regular file of at most CLUA_MAXIMUM_FILE_BYTES.
static inline int CLua_readFile(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        luaL_pushfail(L);
        lua_pushstring(L, strerror(errno));
        return 2;
    }
    struct stat info;
    if (fstat(fileno(file), &info) != 0 || !S_ISREG(info.st_mode) || info.st_size > CLUA_MAXIMUM_FILE_BYTES) {
        fclose(file);
        luaL_pushfail(L);
        lua_pushstring(L, "not a regular file of at most 4 MB");
        return 2;
    }
    luaL_Buffer buffer;
    char *bytes = luaL_buffinitsize(L, &buffer, (size_t)info.st_size + 1);
    size_t count = fread(bytes, 1, (size_t)info.st_size + 1, file);
    int failed = ferror(file);
    fclose(file);
    if (failed || count > (size_t)info.st_size) {
        luaL_pushfail(L);
        lua_pushstring(L, "the file changed while it was read");
        return 2;
    }
    luaL_pushresultsize(&buffer, count);
    return 1;
}

/// listdir(path) -> { name, ... } | nil, reason (unsorted, without "." and "..").
static inline int CLua_listDirectory(lua_State *L) {
    const char *path = luaL_checkstring(L, 1);
    DIR *directory = opendir(path);
    if (directory == NULL) {
        luaL_pushfail(L);
        lua_pushstring(L, strerror(errno));
        return 2;
    }
    lua_newtable(L);
    lua_Integer count = 0;
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        lua_pushstring(L, entry->d_name);
        lua_rawseti(L, -2, ++count);
    }
    closedir(directory);
    return 1;
}

/// getenv(name) -> value | nil: os.getenv, the one os function Prosody's configurations use.
static inline int CLua_getEnvironment(lua_State *L) {
    const char *value = getenv(luaL_checkstring(L, 1));
    if (value == NULL) {
        lua_pushnil(L);
    } else {
        lua_pushstring(L, value);
    }
    return 1;
}

/// where() -> chunk, line: the innermost file chunk on the stack and its current line, or nothing.
static inline int CLua_where(lua_State *L) {
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || !CLua_isFileChunk(ar.source)) continue;
        lua_pushinteger(L, (lua_Integer)strtoll(ar.source + 2, NULL, 10));
        lua_pushinteger(L, ar.currentline);
        return 2;
    }
    return 0;
}

/// setcurrent(chunk): which file runs now, for the report of a memory error.
static inline int CLua_setCurrent(lua_State *L) {
    CLua_budget(L)->currentChunk = luaL_checkinteger(L, 1);
    return 0;
}

// MARK: - Protected entry points for Swift

/// Opens the libraries a configuration may use (base, string, table, math, utf8) and takes out what reaches
/// files, bytecode or the collector: dofile, loadfile, load (the sandbox puts back a text-only one),
/// collectgarbage, print, string.dump.
static inline void CLua_openSafeLibraries(lua_State *L) {
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
    lua_pop(L, 5);
    lua_pushglobaltable(L);
    const char *removed[] = {"dofile", "loadfile", "collectgarbage", "print", NULL};
    for (int i = 0; removed[i] != NULL; i++) {
        lua_pushnil(L);
        lua_setfield(L, -2, removed[i]);
    }
    lua_getfield(L, -1, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 2);
}

/// Protected body of CLua_runConfiguration: arguments are light userdata of four CLua_Text (the environment
/// script, the main file's path, its folder, its text).
static inline int CLua_configurationBody(lua_State *L) {
    const CLua_Text *texts = (const CLua_Text *)lua_touserdata(L, 1);
    lua_settop(L, 0);
    CLua_openSafeLibraries(L);
    if (luaL_loadbufferx(L, texts[0].bytes, texts[0].count, "=(parley)", "t") != LUA_OK) return lua_error(L);
    lua_createtable(L, 0, 6);
    lua_pushcfunction(L, CLua_readFile);
    lua_setfield(L, -2, "readfile");
    lua_pushcfunction(L, CLua_listDirectory);
    lua_setfield(L, -2, "listdir");
    lua_pushcfunction(L, CLua_getEnvironment);
    lua_setfield(L, -2, "getenv");
    lua_pushcfunction(L, CLua_where);
    lua_setfield(L, -2, "where");
    lua_pushcfunction(L, CLua_setCurrent);
    lua_setfield(L, -2, "setcurrent");
    lua_newtable(L);
    lua_pushvalue(L, -1);
    CLua_budget(L)->filesReference = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_setfield(L, -2, "files");
    lua_call(L, 1, 1);  // the environment script returns run(path, folder, text)
    for (int i = 1; i <= 3; i++) lua_pushlstring(L, texts[i].bytes, texts[i].count);
    lua_call(L, 3, 3);  // run returns files, texts, events
    return 3;
}

/// Runs a Prosody configuration in the sandbox. On LUA_OK the stack holds the tables files, texts and events;
/// otherwise the error message.
static inline int CLua_runConfiguration(lua_State *L, const CLua_Text *texts) {
    lua_settop(L, 0);
    lua_pushcfunction(L, CLua_messageHandler);
    lua_pushcfunction(L, CLua_configurationBody);
    lua_pushlightuserdata(L, (void *)texts);
    int status = lua_pcall(L, 1, 3, 1);
    lua_remove(L, 1);
    return status;
}

/// Protected body of CLua_runData: a data file's chunk run in text mode with an empty environment.
static inline int CLua_dataBody(lua_State *L) {
    const CLua_Text *text = (const CLua_Text *)lua_touserdata(L, 1);
    lua_settop(L, 0);
    if (luaL_loadbufferx(L, text->bytes, text->count, "=#1", "t") != LUA_OK) return lua_error(L);
    lua_newtable(L);
    if (lua_setupvalue(L, -2, 1) == NULL) lua_pop(L, 1);
    lua_call(L, 0, 1);
    return 1;
}

/// Runs a data file (`return { ... };`): on LUA_OK the stack holds the value it returns, else the error.
static inline int CLua_runData(lua_State *L, const CLua_Text *text) {
    lua_settop(L, 0);
    lua_pushcfunction(L, CLua_messageHandler);
    lua_pushcfunction(L, CLua_dataBody);
    lua_pushlightuserdata(L, (void *)text);
    int status = lua_pcall(L, 1, 1, 1);
    lua_remove(L, 1);
    return status;
}

/// Pushes the sandbox's table of files (after CLua_runConfiguration).
static inline int CLua_pushFiles(lua_State *L) {
    int reference = CLua_budget(L)->filesReference;
    if (reference <= 0) {
        lua_pushnil(L);
        return LUA_TNIL;
    }
    return lua_rawgeti(L, LUA_REGISTRYINDEX, reference);
}

// Macros Swift cannot import, as functions.
static inline void CLua_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline const char *CLua_toString(lua_State *L, int index, size_t *length) {
    return lua_type(L, index) == LUA_TSTRING ? lua_tolstring(L, index, length) : NULL;
}
#endif

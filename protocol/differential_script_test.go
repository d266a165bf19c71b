package protocol

import "testing"

// TestDifferentialScripting runs the same scripts on cachesrv and on a
// real redis-server, in RESP2 and RESP3, and compares the replies byte
// for byte: Redis's conversion tables both ways (Lua -> reply and reply
// -> Lua), its error texts (with "script: <sha>, on @user_script:<line>."),
// the sandbox, the redis library, and SCRIPT's subcommands.
//
// Left out on purpose: tables whose keys are read with pairs() in more
// than one element (map and set replies, cjson.encode of objects): their
// order is each Lua's hash order; compile errors other than the common
// ones (gopher-lua's parser words them differently); ".." of
// non-integral numbers (Lua prints %.14g, gopher-lua Go's shortest form;
// tostring is patched to Lua's and compared); runtime errors that gopher-lua words differently ("attempt to
// call a non-function object" for Lua's "attempt to call field 'x' (a nil
// value)"); math.random (Redis continues one sequence across scripts, here
// every script starts it afresh: TestScriptRandomIsPerCall); SCRIPT HELP
// (Redis lists SCRIPT DEBUG, which cachesrv does not have).
func TestDifferentialScripting(t *testing.T) {
	runDifferential(t, differentialScriptingScript, 100)
}

const differentialScriptingScript = `
# --- Lua -> reply ---
EVAL "return 1" 0
EVAL "return -1" 0
EVAL "return 3.99" 0
EVAL "return -3.99" 0
EVAL "return 1e300" 0
EVAL "return 0/0" 0
EVAL "return 'hello'" 0
EVAL "return ''" 0
EVAL "return true" 0
EVAL "return false" 0
EVAL "return nil" 0
EVAL "return" 0
EVAL "return {}" 0
EVAL "return {1,2,3,'x'}" 0
EVAL "return {1,false,true,nil,2}" 0
EVAL "return {1,{2,{3,{'deep'}}}}" 0
EVAL "return {ok='fine'}" 0
EVAL "return {ok='a\\r\\nb'}" 0
EVAL "return {err='My Error'}" 0
EVAL "return {err='a\\r\\nb'}" 0
EVAL "return {err=''}" 0
EVAL "return {err=1}" 0
EVAL "return {ok=1}" 0
EVAL "return {1,2,{ok='x'},{err='y'}}" 0
EVAL "return {ok='x', err='y'}" 0
EVAL "return {double=3.5}" 0
EVAL "return {big_number='123'}" 0
EVAL "return {map={a=1}}" 0
EVAL "return {set={a=true}}" 0
EVAL "redis.setresp(3) return {1,false,true}" 0
EVAL "redis.setresp(3) return {double=3.5}" 0
EVAL "redis.setresp(3) return {double=1/0}" 0
EVAL "redis.setresp(3) return {big_number='123'}" 0
EVAL "redis.setresp(3) return {map={a=1}}" 0
EVAL "redis.setresp(3) return {set={a=true}}" 0
EVAL "redis.setresp(3) return false" 0
EVAL "redis.setresp(3) return nil" 0
EVAL "return KEYS" 2 a b c d
EVAL "return ARGV" 2 a b c d
EVAL "return {#KEYS, #ARGV}" 0
EVAL "return redis.status_reply('X')" 0
EVAL "return redis.error_reply('oops')" 0
EVAL "return redis.error_reply('My Error')" 0
EVAL "return redis.error_reply('-FOO bar')" 0
EVAL "return redis.sha1hex('')" 0
EVAL "return redis.sha1hex('abc')" 0
EVAL "return redis.REDIS_VERSION_NUM > 0" 0
EVAL "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}" 0
EVAL "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}" 0
EVAL "return redis.log(redis.LOG_WARNING, 'hi')" 0
EVAL "return redis.log(99, 'hi')" 0
EVAL "return redis.log()" 0
EVAL "return redis.setresp(4)" 0
EVAL "return redis.replicate_commands()" 0
EVAL "return redis.set_repl(redis.REPL_ALL)" 0

# --- reply -> Lua ---
SET s foo
EVAL "return redis.call('get', KEYS[1])" 1 s
EVAL "return redis.call('get', KEYS[1])" 1 missing
EVAL "return type(redis.call('get', KEYS[1]))" 1 missing
EVAL "return redis.call('set', KEYS[1], 'v')" 1 s
EVAL "return type(redis.call('set', KEYS[1], 'v'))" 1 s
EVAL "return redis.call('set', KEYS[1], 'v').ok" 1 s
EVAL "return redis.call('incr', KEYS[1])" 1 n
EVAL "return redis.call('incr', KEYS[1])" 1 s
EVAL "return redis.pcall('incr', KEYS[1])" 1 s
EVAL "return type(redis.pcall('incr', KEYS[1]))" 1 s
EVAL "return redis.pcall('incr', KEYS[1]).err" 1 s
EVAL "return redis.call('mget', KEYS[1], KEYS[2], KEYS[3])" 3 s missing n
EVAL "return redis.call('ping')" 0
EVAL "redis.setresp(3) return redis.call('ping')" 0
EVAL "redis.setresp(3) return type(redis.call('get', KEYS[1]))" 1 missing
EVAL "return redis.call('set', KEYS[1], 0.1)" 1 f
GET f
EVAL "return redis.call('set', KEYS[1], 3)" 1 f
GET f
EVAL "return redis.call('set', KEYS[1], 1e20)" 1 f
GET f
EVAL "return redis.call('set', KEYS[1], -0.0)" 1 f
GET f
EVAL "return redis.call('set', KEYS[1], 12345678901234567890)" 1 f
GET f
EVAL "return redis.call('del', unpack(KEYS))" 2 f s

# --- errors ---
EVAL "return x" 0
EVAL "x = 1" 0
EVAL "function f() end return 1" 0
EVAL "string.x = 1 return 1" 0
EVAL "string.format = nil return 1" 0
EVAL "rawset(_G, 'x', 1) return 1" 0
EVAL "setmetatable(_G, nil) return 1" 0
EVAL "KEYS[1] = 'x' return KEYS[1]" 1 a
EVAL "error('boom')" 0
EVAL "error({err='X boom'})" 0
EVAL "error()" 0
EVAL "return redis.call('nosuch')" 0
EVAL "return redis.pcall('nosuch')" 0
EVAL "return redis.call('get')" 0
EVAL "return redis.call('get', 'a', 'b')" 0
EVAL "return redis.call()" 0
EVAL "return redis.call(1)" 0
EVAL "return redis.call('set', 'a', {})" 0
EVAL "return redis.call('set', 'a', nil)" 0
EVAL "return redis.call('multi')" 0
EVAL "return redis.call('eval', 'return 1', '0')" 0
EVAL "return redis.call('script', 'load', 'return 1')" 0
EVAL "local ok, e = pcall(redis.call, 'incr', KEYS[1]) return e" 1 s
EVAL "local ok, e = pcall(redis.call, 'nosuch') return {type(e), e}" 0
EVAL "local ok, e = pcall(error, {err='x'}) return e" 0
EVAL "local ok, e = pcall(error, 'x') return e" 0
EVAL "local ok, e = pcall(function() local x = nil; return x.y end) return ok" 0
EVAL "local ok, e = pcall(function() redis.call('set', KEYS[1], 'v') return redis.call('incr', KEYS[1]) end) return e" 1 e
EVAL "\nredis.call('set', KEYS[1], 'v')\nreturn redis.call('incr', KEYS[1])" 1 e
EVAL "return 1 +" 0
EVAL_RO "return redis.call('set', KEYS[1], '1')" 1 a
EVAL_RO "return redis.call('get', KEYS[1])" 1 a
EVAL "return 1" -1
EVAL "return 1" 2 a
EVAL "return 1" x
EVAL "return 1"
EVALSHA abc 0
EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0

# Redis 7's shebang
EVAL "#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], 'b')" 1 a
EVAL "#!lua\nreturn 1" 0
EVAL "#!lua flags=bogus\nreturn 1" 0
EVAL "#!luax\nreturn 1" 0
EVAL "#!lua name=x\nreturn 1" 0
EVAL_RO "#!lua\nreturn 1" 0
EVAL_RO "#!lua flags=no-writes\nreturn 2" 0
EVAL "#!lua flags=no-writes,allow-oom\nreturn redis.call('get', KEYS[1])" 1 a
SCRIPT LOAD "#!lua flags=bogus\nreturn 1"

# --- sandbox ---
EVAL "return type(loadstring)" 0
EVAL "return type(os)" 0
EVAL "return type(io)" 0
EVAL "return type(require)" 0
EVAL "return type(dofile)" 0
EVAL "return type(setfenv)" 0
EVAL "return type(getfenv)" 0
EVAL "return type(print)" 0
EVAL "return type(coroutine)" 0
EVAL "return {type(string), type(math), type(table), type(bit), type(cjson), type(struct), type(cmsgpack)}" 0
EVAL "return _VERSION" 0
EVAL "return loadstring('return 1 + 1')()" 0
EVAL "local f = loadstring('x = 1') return pcall(f)" 0

# --- libraries ---
EVAL "return {bit.band(7, 3), bit.bor(1, 2), bit.bxor(5, 1), bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-16, 2)}" 0
EVAL "return {bit.tohex(255), bit.tohex(-1, -4), bit.tobit(2^32 + 5), bit.rol(1, 33), bit.ror(1, 1), bit.bswap(0x12345678)}" 0
EVAL "return string.format('%d %s %5.2f', 42, 'x', 3.14159)" 0
EVAL "return {string.byte('A'), string.char(72, 105), string.rep('ab', 3), ('abc'):upper(), string.sub('hello', 2, 4)}" 0
EVAL "return {string.find('hello world', 'o w'), string.match('key:123', '%d+'), string.gsub('a-b-c', '-', '+')}" 0
EVAL "return table.concat({1, 2, 3}, ',')" 0
EVAL "local t = {3, 1, 2} table.sort(t) return t" 0
EVAL "return {math.floor(3.7), math.max(1, 5, 3), math.abs(-2), math.fmod(7, 3)}" 0
EVAL "return tonumber('0x10')" 0
EVAL "return tostring(12)" 0
EVAL "return {tostring(1/0), tostring(-1/0), tostring(1/3), tostring(1e15), tostring(123456789012345), tostring(2^63), tostring(0.1), tostring(1e-5), tostring(100)}" 0
EVAL "return select('#', 1, 2, 3)" 0

# cjson (objects of one key only: pairs() order differs)
EVAL "return cjson.encode({1, 2, 'a/b', {x=1}, 1.5, 1e20, 0.1, true, false})" 0
EVAL "return cjson.encode({})" 0
EVAL "return cjson.encode('\\1\\127\"\\\\\\n\\t')" 0
EVAL "return cjson.encode({[1]=1, [20]=2})" 0
EVAL "return cjson.encode(function() end)" 0
EVAL "return cjson.encode(1/0)" 0
EVAL "return cjson.encode(cjson.decode('[null]'))" 0
EVAL "return cjson.decode('{\"a\":[1,2.5,\"x\\\\u00e9\",null,true]}').a[3]" 0
EVAL "local t = cjson.decode('[1,\"two\",{\"k\":[3]}]') return {t[1], t[2], t[3].k[1]}" 0
EVAL "return cjson.decode('[1,')" 0
EVAL "return cjson.decode('nul')" 0
EVAL "return cjson.decode('{\"a\" 1}')" 0
EVAL "return cjson.decode('  42  ')" 0
# struct
EVAL "return struct.pack('>I2', 258)" 0
EVAL "return {struct.unpack('<i4', struct.pack('<i4', -5))}" 0
EVAL "return struct.pack('bBhHlLi', 1, 2, 3, 4, 5, 6, 7)" 0
EVAL "return struct.size('!4bi')" 0
EVAL "return {struct.unpack('c3s', 'abcde\\0')}" 0
EVAL "return struct.pack('d', 1.5)" 0
EVAL "return struct.pack('q', 1)" 0
EVAL "return struct.pack('i17', 1)" 0
EVAL "return {struct.unpack('>I2', 'a')}" 0
EVAL "return struct.pack('c0', 'abc')" 0
EVAL "return struct.pack('>c5', 'ab')" 0
EVAL "return {struct.unpack('!4 b i >h', struct.pack('!4 b i >h', -1, 70000, 513))}" 0
# cmsgpack
EVAL "return cmsgpack.pack(1, -1, 127, 128, 255, 256, 65536, -32, -33, -129, -32769, 2^32, -2^40)" 0
EVAL "return cmsgpack.pack(1.5, 0.1, 1e300, 1/0)" 0
EVAL "return cmsgpack.pack('', string.rep('a', 31), string.rep('a', 32), string.rep('a', 256))" 0
EVAL "return cmsgpack.pack({}, {1, 2}, {a=1}, true, false, nil)" 0
EVAL "return cmsgpack.pack({1, nil, 3})" 0
EVAL "local t = {} t[1] = t return cmsgpack.pack(t)" 0
EVAL "return cmsgpack.pack(function() end)" 0
EVAL "return cmsgpack.pack()" 0
EVAL "return {cmsgpack.unpack(cmsgpack.pack(1, 'x', {1, 2, {3}}, true))}" 0
EVAL "return cmsgpack.unpack('')" 0
EVAL "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}" 0
EVAL "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)}" 0
EVAL "return {cmsgpack.unpack_one(cmsgpack.pack(1), 0)}" 0
EVAL "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}" 0
EVAL "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2), 0)}" 0
EVAL "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2), 5)}" 0
EVAL "return cmsgpack.unpack(string.char(0x92, 1))" 0
EVAL "return cmsgpack.unpack(string.char(0xc1))" 0
EVAL "return cmsgpack.unpack(string.char(0xc4, 1, 65))" 0
EVAL "return cmsgpack.unpack(cmsgpack.pack({a={b=1}})).a.b" 0
EVAL "return cmsgpack.pack(2^53, 2^64, -2^63)" 0

# --- functions ---
FUNCTION FLUSH
FUNCTION LOAD "#!lua name=lib1\nlocal function f(keys, args) return {keys[1], args[1]} end\nredis.register_function('f1', f)\nredis.register_function{function_name='f2', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='desc'}"
FCALL f1 1 k a
FCALL f2 1 k
FCALL_RO f2 1 k
FCALL_RO f1 1 k a
FCALL nosuch 0
FCALL f1 -1
FCALL f1 5
FCALL f1
# FUNCTION LIST of one function per library: Redis lists a library's
# functions in its dict's (seeded) hash order.
FUNCTION LOAD REPLACE "#!lua name=lib1\nredis.register_function{function_name='f2', callback=function(keys, args) return 1 end, flags={'no-writes', 'allow-oom'}, description='desc'}"
FUNCTION LIST
FUNCTION LIST WITHCODE
FUNCTION LIST LIBRARYNAME lib*
FUNCTION LIST LIBRARYNAME nomatch
FUNCTION LIST LIBRARYNAME
FUNCTION LIST WITHCODE WITHCODE
FUNCTION LIST bogus
FUNCTION STATS
FUNCTION LOAD REPLACE "#!lua name=lib1\nlocal function f(keys, args) return {keys[1], args[1]} end\nredis.register_function('f1', f)\nredis.register_function{function_name='f2', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='desc'}"
FUNCTION LOAD "#!lua name=lib1\nredis.register_function('f1', function() return 1 end)"
FUNCTION LOAD "return 1"
FUNCTION LOAD "#!lua\nreturn 1"
FUNCTION LOAD "#!lua name=x\nreturn 1"
FUNCTION LOAD "#!luax name=x\nreturn 1"
FUNCTION LOAD "#!lua name=x foo=bar\nreturn 1"
FUNCTION LOAD "#!lua name=bad-name\nreturn 1"
FUNCTION LOAD "#!lua name=x\nredis.call('ping')"
FUNCTION LOAD "#!lua name=x\nlocal s = string"
FUNCTION LOAD "#!lua name=x\nfunction foo() end"
FUNCTION LOAD "#!lua name=x\nreturn 1 +"
FUNCTION LOAD "#!lua name=y\nredis.register_function('f1', function() return 1 end)"
FUNCTION LOAD "#!lua name=t2\nredis.register_function('a-b', function() return 1 end)"
FUNCTION LOAD "#!lua name=t3\nredis.register_function('z1', function() return 1 end)\nredis.register_function('z1', function() return 1 end)"
FUNCTION LOAD "#!lua name=t4\nredis.register_function{function_name='z2', callback=function() return 1 end, flags={'bogus'}}"
FUNCTION LOAD "#!lua name=t5\nredis.register_function('z3')"
FUNCTION LOAD "#!lua name=t6\nredis.register_function{function_name='z4', callback=function() return 1 end, foo=1}"
FUNCTION LOAD "#!lua name=t7\nredis.register_function('c7', 'notafunction')"
FUNCTION LOAD "#!lua name=t9\nredis.register_function{callback=function() end}"
FUNCTION LOAD "#!lua name=t10\nredis.register_function{function_name='c10'}"
FUNCTION LOAD "#!lua name=t11\nredis.register_function{function_name='c11', callback=function() end, flags='no-writes'}"
FUNCTION LOAD "#!lua name=t12\nredis.register_function('z7', function(keys, args) return x end)"
FCALL z7 0
FUNCTION LOAD "#!lua name=t14\nredis.register_function('z9', function(keys, args) return {type(error), type(pcall), type(string), type(redis.call), type(cjson), type(KEYS)} end)"
FCALL z9 0
FUNCTION LOAD "#!lua name=t15\nredis.register_function{function_name='z10', callback=function(keys) return redis.call('set', keys[1], 'b') end, flags={'no-writes'}}"
FCALL z10 1 a
FUNCTION LOAD "#!lua name=t16\nredis.register_function('z11', function(keys, args) return {keys, args} end)"
FCALL z11 2 a b c
FUNCTION LOAD REPLACE "#!lua name=t16\nredis.register_function('z11', function(keys, args) return 11 end)"
FCALL z11 0
FUNCTION LOAD FOO "#!lua name=t16\nredis.register_function('z11', function(keys, args) return 11 end)"
FUNCTION DELETE t16
FUNCTION DELETE t16
FCALL z11 0
FUNCTION DELETE
FUNCTION FLUSH bad
FUNCTION FLUSH ASYNC
FUNCTION LIST
FUNCTION RESTORE "xx"
FUNCTION RESTORE "xx" BAD
FUNCTION KILL
FUNCTION nosuch
FUNCTION

# --- SCRIPT ---
SCRIPT LOAD "return 1"
SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db abc
EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
EVALSHA_RO e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
EVALSHA E0E1F9FABFC9D4800C877A703B823AC0578FF8DB 0
SCRIPT LOAD "return 1 +"
SCRIPT FLUSH
SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db
SCRIPT FLUSH ASYNC
SCRIPT FLUSH SYNC
SCRIPT FLUSH foo
SCRIPT FLUSH sync extra
SCRIPT KILL
SCRIPT
SCRIPT LOAD
SCRIPT nosuch
EVAL "return 7" 0
SCRIPT EXISTS 9a6e9d9a0a3f2d8e3d2b6c0c8a0e9e4b8e2d1f3c
`

package script

import (
	"runtime"
	"testing"
)

// TestVMMemory reports what one VM costs (its Lua state, libraries and
// sandbox), measured on the heap: the figure INFO's used_memory_lua uses.
func TestVMMemory(t *testing.T) {
	const n = 50
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	vms := make([]*vm, n)
	for i := range vms {
		vms[i] = newVM()
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("one VM: %d bytes of heap", per)
	if per <= 0 || per > 4<<20 {
		t.Errorf("one VM: %d bytes", per)
	}
	runtime.KeepAlive(vms)
}

// TestEvalCacheEvicts: EVAL's scripts are bounded (MaxEvalScripts, least
// recently used first); SCRIPT LOAD's are kept.
func TestEvalCacheEvicts(t *testing.T) {
	e := NewEngine(1)
	loaded, msg := e.Load([]byte("return 'loaded'"), false)
	if msg != "" {
		t.Fatal(msg)
	}
	first, _ := e.Load([]byte("return 0"), true)
	for i := 1; i <= MaxEvalScripts+10; i++ {
		if _, msg := e.Load([]byte("return "+itoa(i)), true); msg != "" {
			t.Fatal(msg)
		}
	}
	n, _, evicted := e.Stats()
	if n != MaxEvalScripts+1 || evicted != 11 {
		t.Fatalf("%d scripts cached, %d evicted", n, evicted)
	}
	if e.Lookup([]byte(first.SHA)) != nil {
		t.Error("the least recently used EVAL script is still cached")
	}
	if e.Lookup([]byte(loaded.SHA)) == nil {
		t.Error("a SCRIPT LOAD script was evicted")
	}
}

// TestScriptCacheMemory reports what a cached script costs (its body and
// compiled function), for a three-command script like the benchmark's.
func TestScriptCacheMemory(t *testing.T) {
	const n = 400 // below MaxEvalScripts: nothing is evicted
	e := NewEngine(1)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		body := "redis.call('incr', KEYS[1]) redis.call('expire', KEYS[1], " + itoa(i) + ") return redis.call('get', KEYS[1])"
		if _, msg := e.Load([]byte(body), true); msg != "" {
			t.Fatal(msg)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / n
	t.Logf("one cached script: %d bytes of heap", per)
	if per <= 0 || per > 8<<10 {
		t.Errorf("one cached script: %d bytes", per)
	}
	runtime.KeepAlive(e)
}

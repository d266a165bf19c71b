package resp

import "testing"

func TestParseInfo(t *testing.T) {
	f := ParseInfo("# Memory\r\nused_memory:1024\r\nmaxmemory_policy:allkeys-lru\r\n\r\n# Stats\r\nevicted_keys:7\r\nexecutable:/a:b\r\n")
	if InfoInt(f, "used_memory") != 1024 || InfoInt(f, "evicted_keys") != 7 || f["maxmemory_policy"] != "allkeys-lru" ||
		f["executable"] != "/a:b" || InfoInt(f, "absent") != -1 || len(f) != 4 {
		t.Errorf("ParseInfo: %v", f)
	}
	if f := ParseInfo("cluster_state:ok\ncluster_known_nodes:3\n"); f["cluster_state"] != "ok" || InfoInt(f, "cluster_known_nodes") != 3 {
		t.Errorf("ParseInfo with bare newlines: %v", f)
	}
}

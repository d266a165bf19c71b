package protocol

// COMMAND DOCS entries for the cluster commands (Redis's "cluster" group).
func init() {
	slot := argDoc{name: "slot", typ: "integer"}
	for name, d := range map[string]cmdDoc{
		"cluster":                 {summary: "A container for cluster commands.", since: "3.0.0", group: "cluster", complexity: "Depends on subcommand."},
		"cluster|info":            {summary: "Reports the cluster's state: slots assigned, known nodes, epoch.", since: "3.0.0", group: "cluster", complexity: "O(1)"},
		"cluster|myid":            {summary: "Returns this node's ID.", since: "3.0.0", group: "cluster", complexity: "O(1)"},
		"cluster|nodes":           {summary: "Lists every node with its address, flags and slot ranges, one per line.", since: "3.0.0", group: "cluster", complexity: "O(N) where N is the total number of cluster nodes"},
		"cluster|slots":           {summary: "Maps slot ranges to the nodes that own them.", since: "3.0.0", group: "cluster", complexity: "O(N) where N is the total number of slot ranges"},
		"cluster|shards":          {summary: "Lists each shard with its slot ranges and nodes.", since: "7.0.0", group: "cluster", complexity: "O(N) where N is the total number of cluster nodes"},
		"cluster|keyslot":         {summary: "Returns the hash slot a key maps to.", since: "3.0.0", group: "cluster", complexity: "O(N) where N is the number of bytes in the key", args: []argDoc{{name: "key", typ: "string"}}},
		"cluster|countkeysinslot": {summary: "Counts this node's keys in a hash slot.", since: "3.0.0", group: "cluster", complexity: "O(N) where N is the number of keys on this node", args: []argDoc{slot}},
		"cluster|getkeysinslot":   {summary: "Returns up to count of this node's keys in a hash slot.", since: "3.0.0", group: "cluster", complexity: "O(N) where N is the number of keys on this node", args: []argDoc{slot, {name: "count", typ: "integer"}}},
		"readonly":                {summary: "Lets the connection read keys of the slots this node replicates (redirect mode with --cluster-replicas); elsewhere accepted and without effect.", since: "3.0.0", group: "cluster", complexity: "O(1)"},
		"readwrite":               {summary: "Undoes READONLY: reads of keys this node does not own are redirected again.", since: "3.0.0", group: "cluster", complexity: "O(1)"},
		"wait":                    {summary: "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.", since: "3.0.0", group: "generic", complexity: "O(1)", args: []argDoc{{name: "numreplicas", typ: "integer"}, {name: "timeout", typ: "integer"}}},
		"asking":                  {summary: "Accepted for cluster clients; no slot is ever migrating between nodes here.", since: "3.0.0", group: "cluster", complexity: "O(1)"},
	} {
		docs[name] = d
	}
}

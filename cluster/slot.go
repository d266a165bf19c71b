package cluster

// NumSlots is the number of hash slots, Redis Cluster's 16384. Keys map to
// slots and slots map to nodes, so a membership change moves whole slots and
// a cluster-aware client can cache the slot -> node map and route by itself.
const NumSlots = 16384

// Slot returns the hash slot of key exactly as Redis Cluster computes it
// (CLUSTER KEYSLOT): CRC16 of the key modulo 16384, except that when the key
// holds a hash tag only the tag is hashed. The tag is what lies between the
// first '{' and the first '}' after it, if that is not empty; "{user1}.a" and
// "{user1}.b" share a slot, while "{}x" and "x{" hash whole.
//
// It must agree byte for byte with Redis: go-redis ClusterClient, redis-cli -c
// and every other cluster-aware client compute it themselves and send each
// command straight to the node they believe owns it.
//
// Slot accepts both string and []byte so neither caller has to convert (and
// allocate) on the hot path.
func Slot[K ~string | ~[]byte](key K) int {
	if open := indexByte(key, '{'); open >= 0 {
		if end := indexByte(key[open+1:], '}'); end > 0 {
			key = key[open+1 : open+1+end]
		}
	}
	return int(crc16(key) & (NumSlots - 1))
}

func indexByte[K ~string | ~[]byte](s K, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// crc16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0, no reflection,
// no final xor), the variant Redis's crc16.c implements; crc16("123456789")
// is 0x31C3. Table-driven: one table lookup per byte.
func crc16[K ~string | ~[]byte](s K) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc = crc<<8 ^ crc16Table[byte(crc>>8)^s[i]]
	}
	return crc
}

var crc16Table = func() (t [256]uint16) {
	for i := range t {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()

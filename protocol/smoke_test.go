package protocol

import "testing"

func TestSmokeSetGet(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	if err := c.Set(ctx, "greeting", "hello", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "greeting").Result(); err != nil || v != "hello" {
		t.Fatalf("get = %q, %v", v, err)
	}
}

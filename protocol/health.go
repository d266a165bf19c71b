package protocol

// Ready reports whether the server is accepting clients: Serve has been
// called and Shutdown has not begun. A load balancer or Kubernetes probe
// reads it through /readyz, so that a node being drained stops getting new
// clients while its existing ones finish. (Once nodes form a cluster,
// readiness will also mean having joined it.)
func (s *Server) Ready() bool {
	if s.closing.Load() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.listener != nil
}

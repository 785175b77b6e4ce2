package metrics

// SetTxHook makes every batch of single points run f inside its
// transaction (f may panic).
func SetTxHook(s *Service, f func()) { s.single.txHook = f }

// QueuedSingles is how many AddPoint calls wait for the next batch.
func QueuedSingles(s *Service) int {
	s.single.mu.Lock()
	defer s.single.mu.Unlock()
	return len(s.single.queue)
}

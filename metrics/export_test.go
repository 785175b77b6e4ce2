package metrics

// SetFailTx makes every batch of single points run f inside its
// transaction (f may panic).
func SetFailTx(s *Service, f func()) { s.single.failTx = f }

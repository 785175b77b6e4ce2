package components

// UptimeReloads reports how many components' histories the last UptimeMany
// read from the database.
func (s *Service) UptimeReloads() int {
	s.uptime.mu.Lock()
	defer s.uptime.mu.Unlock()
	return s.uptime.loaded
}

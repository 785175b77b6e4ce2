package store

// NotifyTables exposes the tables that tell other replicas of changes.
var NotifyTables = notifyTables

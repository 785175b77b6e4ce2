package store

// Translate exposes translate to the external tests.
var Translate = translate

// NotifyTables exposes the tables that tell other replicas of changes.
var NotifyTables = notifyTables

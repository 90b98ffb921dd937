package engine

// RedactStore is redactStore, for the tests of package engine_test.
var RedactStore = redactStore

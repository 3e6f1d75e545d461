// JobRuntime

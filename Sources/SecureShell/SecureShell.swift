// SecureShell

// AgeCrypto

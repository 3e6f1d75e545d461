// JobPreparation

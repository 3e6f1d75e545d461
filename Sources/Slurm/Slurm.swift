// Slurm

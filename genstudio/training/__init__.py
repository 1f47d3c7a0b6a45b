"""Shared training machinery. FAMILIES maps `genstudio train <family>` to its TrainTask ("module:Class")."""

FAMILIES: dict[str, str] = {
    "pokemon-autoencoder": "genstudio.diffusion.train:AutoencoderTask",
    "pokemon": "genstudio.diffusion.train:LatentDiffusionTask",
    "person": "genstudio.wgan.train:WganTask",
    "classifier": "genstudio.classifier.train:ClassifierTask",
    "latentmap": "genstudio.latentmap.train:LatentMapTask",
    "makeup": "genstudio.stargan.train:StarGanTask",
}

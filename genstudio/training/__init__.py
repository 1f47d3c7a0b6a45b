"""Shared training machinery. FAMILIES maps `genstudio train <family>` to its TrainTask ("module:Class")."""

FAMILIES: dict[str, str] = {
    "pokemon-autoencoder": "genstudio.diffusion.train:AutoencoderTask",
    "pokemon": "genstudio.diffusion.train:LatentDiffusionTask",
    "pokemon-gan": "genstudio.pokegan.train:PokemonGanTask",
    "upsampler": "genstudio.upsampler.train:UpsamplerTask",
    "person": "genstudio.wgan.train:WganTask",
    "classifier": "genstudio.classifier.train:ClassifierTask",
    "pokemon-features": "genstudio.classifier.shape_train:ShapeFeaturesTask",
    "latentmap": "genstudio.latentmap.train:LatentMapTask",
    "makeup": "genstudio.stargan.train:StarGanTask",
}

"""Run by test_train.py in a fresh process: the CPU split into 2 logical devices, one tiny epoch
trained with --strategy one (batch 4) and mirrored (2 replicas x batch 2: the same global batch).
Prints the two runs' first-epoch losses as JSON.

The seed decoder has no batch normalisation (whose statistics would be per replica), and 4
training images make one whole batch, so both runs compute the same loss up to rounding."""

import json
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from course_lib.train import train  # noqa: E402

data, out = sys.argv[1], sys.argv[2]
tiny = dict(image_size=32, encoder_blocks=2, decoder="seed", epochs=1, verbose=0, weights=None, augment=False,
            max_images_per_split=4)
one = train(data, f"{out}/one", strategy="one", batch_size=4, **tiny)
mirrored = train(data, f"{out}/mirrored", strategy="mirrored", batch_size=2, **tiny)
print(json.dumps({"one": one.history["loss"][0], "mirrored": mirrored.history["loss"][0],
                  "replicas": len(tf.config.list_logical_devices("CPU"))}))

"""Colorize Course: the small, tested library behind the notebooks.

One module per concern:

- ``config``     where things live (repository URL, data folder, fast mode)
- ``errors``     the exceptions the course raises, each with a "what to do" message
- ``color``      RGB <-> LAB and the L / ab normalisation the models use
- ``layout``     what an NCD-style folder looks like (standard library only)
- ``sources``    where the data comes from: NCD_DIR, data/ncd, a download, or the sample set
- ``data``       loading, scanning and splitting the Natural-Color Dataset (NCD)
- ``download``   fetching NCD safely; ``sample_data`` the offline sample set
- ``pipeline``   the ``tf.data`` input pipeline yielding ``(L, ab)`` batches
- ``model``      the VGG19 encoder with the ``seed`` and ``unet`` decoders
- ``classification``  colour as classification (Zhang et al. 2016): ab bins, soft targets,
                 rebalancing, the annealed mean; ``classification_head`` its Keras layer and loss
- ``hints``      colour hints (Zhang et al. 2017): simulated users, hint channels; ``hint_widget`` the
                 click-and-pick explorer of notebook 08
- ``train``      training with checkpoints and resume; ``inference`` colorizing photos at full resolution
- ``colorizer``  a trained run as one object (``Colorizer.load(RUN_DIR)``: its model and decoding),
                 the ``colorize`` command
- ``metrics``    RMSE, PSNR, SSIM and colour metrics; ``evaluate`` the protocol
- ``checks``     automatic feedback for the notebooks' exercises
- ``course``     the course's tooling (a sub-package): running, grading and exporting the notebooks
                 (``run-notebooks``, ``grade``, ``solve``, ``export-nbgrader``, ``exercises``);
                 never imported by the ML library or the checks
- ``cli``        ``python -m course_lib ...``

Heavy dependencies (TensorFlow) are imported only by the modules that need them, so
``import course_lib`` stays fast.
"""

__version__ = "0.1.0"

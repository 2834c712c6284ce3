"""MkDocs plugin `digit-model`: a fresh MNIST model and TF.js, built into the site."""

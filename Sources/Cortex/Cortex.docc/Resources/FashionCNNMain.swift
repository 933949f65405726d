try runFashionCNN()

import Cortex

/// Trains `model` on `train` with Adam: each batch's loss, its gradients, one step.
func trainFashionCNN(_ model: Sequential, on train: FashionMNIST, epochs: Int) {
    model.train()
    let optimizer = Adam(model.parameters(), learningRate: 1e-3)
    for epoch in 1...epochs {
        var total = 0.0, batches = 0
        for (images, labels) in DataLoader(train, batchSize: 64, shuffle: true, seed: UInt64(epoch)) {
            let loss = crossEntropy(model(images), labels)
            optimizer.zeroGrad()
            loss.backward()
            optimizer.step()
            total += Double(loss.item())
            batches += 1
        }
        print("epoch \(epoch): mean loss \(total / Double(batches))")
    }
}

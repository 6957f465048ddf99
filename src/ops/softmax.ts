// (being written: the softmax op family)
export {};
